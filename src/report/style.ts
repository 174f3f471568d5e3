// The report's stylesheet and script, inlined into the page: the report is one file that opens
// offline and makes no request. Colours keep a 4.5:1 contrast on white (WCAG AA).

export const COLORS = {
  blocker: "#b42318",
  warning: "#93370d",
  info: "#175cd3",
  ok: "#067647",
  sidecar: "#6941c6",
  migrating: "#b54708",
  ambient: "#067647",
  notMeshed: "#667085",
} as const;

export const CSS = `
:root { --fg:#101828; --muted:#475467; --line:#d0d5dd; --bg-soft:#f5f7fa; --accent:#1d4ed8; }
* { box-sizing: border-box; }
html { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); }
body { margin: 0; }
a { color: var(--accent); }
header.top { padding: 20px 28px; border-bottom: 1px solid var(--line); background: var(--bg-soft); }
header.top h1 { margin: 0 0 4px; font-size: 1.6rem; }
header.top p { margin: 0; color: var(--muted); }
.layout { display: grid; grid-template-columns: 230px minmax(0, 1fr); }
nav.toc { position: sticky; top: 0; align-self: start; max-height: 100vh; overflow: auto; padding: 16px 18px; border-right: 1px solid var(--line); font-size: .92rem; }
nav.toc ul { list-style: none; margin: 0; padding: 0; }
nav.toc li { margin: 3px 0; }
nav.toc .sub { padding-left: 12px; }
main { padding: 8px 28px 40px; min-width: 0; }
section { margin: 24px 0 36px; }
section.namespace { border-top: 2px solid var(--line); padding-top: 8px; }
h2 { font-size: 1.35rem; margin: 12px 0 10px; display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
h3 { font-size: 1.1rem; margin: 22px 0 8px; }
h4 { font-size: .95rem; margin: 12px 0 4px; color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(105px, 1fr)); gap: 12px; margin: 12px 0 20px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .n { font-size: 1.7rem; font-weight: 700; display: block; }
.card .what { color: var(--muted); font-size: .9rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 20px; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: 6px; }
svg.chart { width: 100%; max-width: 460px; height: auto; display: block; }
svg.chart .chart-label { font-size: 12px; fill: var(--fg); }
svg.chart .chart-value { font-size: 12px; fill: var(--muted); }
svg.chart.waves { max-width: 100%; }
svg.chart .wave-ns { fill: none; stroke: ${COLORS.ambient}; stroke-width: 1.5; }
svg.chart .call { stroke: var(--muted); stroke-width: 1.2; }
svg.chart .arrow-head { fill: var(--muted); }
.legend { list-style: none; padding: 0; margin: 6px 0 0; display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: .88rem; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.badge { display: inline-block; font-size: .78rem; font-weight: 600; padding: 1px 8px; border-radius: 10px; border: 1px solid currentColor; }
.badge.blocker { color: ${COLORS.blocker}; } .badge.warning { color: ${COLORS.warning}; } .badge.info { color: ${COLORS.info}; }
.badge.ok { color: ${COLORS.ok}; } .badge.sidecar { color: ${COLORS.sidecar}; } .badge.migrating { color: ${COLORS.migrating}; }
.badge.ambient { color: ${COLORS.ambient}; } .badge.not-meshed { color: ${COLORS.notMeshed}; }
.scroll { overflow-x: auto; max-width: 100%; }
.scroll:focus { outline: 2px solid var(--accent); }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { background: var(--bg-soft); font-weight: 600; }
td code, li code { font-size: .85rem; overflow-wrap: anywhere; }
td code.code { font-weight: 600; }
pre { background: #0f172a; color: #e2e8f0; padding: 10px 12px; border-radius: 6px; overflow-x: auto; font-size: .8rem; line-height: 1.45; margin: 4px 0 10px; }
pre:focus { outline: 2px solid var(--accent); }
details.step { border: 1px solid var(--line); border-radius: 8px; margin: 8px 0; padding: 0 12px; }
details.step > summary { cursor: pointer; padding: 8px 0; font-weight: 600; }
details.step > summary .meta { font-weight: 400; color: var(--muted); font-size: .88rem; margin-left: 6px; }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 14px; }
.pair figure { min-width: 0; }
.translation { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; margin: 10px 0 16px; }
.translation h4 { color: var(--fg); font-size: 1rem; }
.note { color: var(--muted); }
ul.lines { padding-left: 20px; margin: 4px 0; }
.toolbar { margin: 6px 0 0; }
.toolbar button { font: inherit; font-size: .88rem; padding: 3px 10px; border: 1px solid var(--line); border-radius: 6px; background: #fff; color: var(--fg); cursor: pointer; }
@media (max-width: 820px) {
  .layout { display: block; }
  nav.toc { position: static; max-height: none; border-right: 0; border-bottom: 1px solid var(--line); }
  nav.toc .sub { display: flex; flex-wrap: wrap; gap: 2px 12px; padding-left: 0; }
  main { padding: 4px 14px 30px; }
  header.top { padding: 14px; }
  .pair { grid-template-columns: minmax(0, 1fr); }
}
@media print {
  html { font-size: 11pt; }
  nav.toc, .toolbar { display: none; }
  .layout { display: block; }
  main { padding: 0; }
  header.top { background: none; padding: 0 0 8px; }
  pre { background: #fff; color: #000; border: 1px solid #999; white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible; }
  .scroll { overflow: visible; }
  section.namespace { break-before: page; }
  details.step, .translation, figure, tr { break-inside: avoid; }
  /* A closed <details> prints closed: show its content (the script also opens them). */
  details::details-content { content-visibility: visible; display: contents; }
  a { color: inherit; text-decoration: none; }
}
`;

/** Opens every step for printing (a closed <details> prints closed), and restores them after. */
export const SCRIPT = `
(function () {
  var closed = [];
  function all(open) {
    document.querySelectorAll("details").forEach(function (d) { d.open = open; });
  }
  window.addEventListener("beforeprint", function () {
    closed = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) { return !d.open; });
    all(true);
  });
  window.addEventListener("afterprint", function () { closed.forEach(function (d) { d.open = false; }); });
  document.querySelectorAll("[data-expand]").forEach(function (b) {
    b.addEventListener("click", function () { all(b.getAttribute("data-expand") === "open"); });
  });
})();
`;
