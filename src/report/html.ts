// The report as one self-contained HTML page: inline CSS, script and SVG, no external request,
// readable on a phone and printable to PDF. A rendering of ReportData only: no I/O here.

import type { Finding } from "../assess/finding.js";
import type { NamespaceMode } from "../mesh/namespace-state.js";
import type { Step } from "../plan/model.js";
import { renderObservability } from "../plan/render-text.js";
import type { Journal } from "../run/journal.js";
import { toYaml } from "../serialize.js";
import { barChart, legend, wavesGraph } from "./charts.js";
import type { NamespaceReport, ReportData, TranslationPair } from "./data.js";
import { esc, slug } from "./escape.js";
import { COLORS, CSS, SCRIPT } from "./style.js";

const MODES: { mode: NamespaceMode; name: string; color: string }[] = [
  { mode: "sidecar", name: "sidecar", color: COLORS.sidecar },
  { mode: "migrating", name: "migrating", color: COLORS.migrating },
  { mode: "ambient", name: "ambient", color: COLORS.ambient },
  { mode: "not-meshed", name: "not meshed", color: COLORS.notMeshed },
];

const nsId = (namespace: string) => `ns-${slug(namespace)}`;

/** A table in a focusable scroll box: wide tables scroll on a phone and stay keyboard-reachable. */
function table(label: string, headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return (
    `<div class="scroll" tabindex="0" role="region" aria-label="${esc(label)}"><table>` +
    `<thead><tr>${headers.map((h) => `<th scope="col">${esc(h)}</th>`).join("")}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</tbody>` +
    "</table></div>"
  );
}

function pre(label: string, text: string): string {
  return `<pre tabindex="0" aria-label="${esc(label)}"><code>${esc(text)}</code></pre>`;
}

const badge = (cls: string, text: string) => `<span class="badge ${cls}">${esc(text)}</span>`;

function overview(data: ReportData): string {
  const namespaces = data.namespaces;
  const blocked = namespaces.filter((n) => n.plan.blocked).length;
  const findings = data.assessment.findings;
  const count = (s: string) => findings.filter((f) => f.severity === s).length;
  const cards = [
    [namespaces.length, "namespaces"],
    [namespaces.length - blocked, "can migrate"],
    [blocked, "blocked"],
    [count("blocker"), "blockers"],
    [count("warning"), "warnings"],
  ]
    .map(
      ([n, what]) => `<div class="card"><span class="n">${n}</span> <span class="what">${what}</span></div>`,
    )
    .join("");

  const stateBars = MODES.map((m) => {
    const inMode = namespaces.filter((n) => n.plan.state.mode === m.mode);
    const b = inMode.filter((n) => n.plan.blocked).length;
    return {
      label: m.name,
      segments: [
        { value: inMode.length - b, color: m.color, name: "namespace(s) that can migrate" },
        { value: b, color: COLORS.blocker, name: "blocked namespace(s)" },
      ],
    };
  });
  const byCode = new Map<string, { blocker: number; warning: number }>();
  for (const f of findings) {
    if (f.severity === "info") continue;
    const c = byCode.get(f.code) ?? { blocker: 0, warning: 0 };
    c[f.severity]++;
    byCode.set(f.code, c);
  }
  // A source that cannot be translated faithfully blocks its namespace too (plan, not assess).
  const untranslatable = namespaces.flatMap((n) =>
    n.plan.blocked ? (n.plan.translationReport ?? []).filter((e) => e.level === "error") : [],
  );
  if (untranslatable.length > 0)
    byCode.set("translation-error", { blocker: untranslatable.length, warning: 0 });
  const codeBars = [...byCode]
    .sort((a, b) => b[1].blocker - a[1].blocker || b[1].warning - a[1].warning || a[0].localeCompare(b[0]))
    .map(([code, c]) => ({
      label: code,
      segments: [
        { value: c.blocker, color: COLORS.blocker, name: "blocker(s)" },
        { value: c.warning, color: COLORS.warning, name: "warning(s)" },
      ],
    }));

  const rows = namespaces.map((n) => [
    `<a href="#${nsId(n.namespace)}">${esc(n.namespace)}</a>`,
    `${badge(n.plan.state.mode, n.plan.state.mode)} ${esc(n.plan.state.summary)}`,
    n.plan.blocked ? badge("blocker", "blocked") : badge("ok", "ready"),
    String(n.findings.filter((f) => f.severity === "blocker").length),
    String(n.findings.filter((f) => f.severity === "warning").length),
    esc(n.plan.waypoint.needed ? `${n.plan.waypoint.namespace}/${n.plan.waypoint.name}` : "none needed"),
    esc(n.journal?.summary ?? "-"),
  ]);
  return `<section id="overview" aria-labelledby="overview-h">
<h2 id="overview-h">Overview</h2>
<div class="cards">${cards}</div>
<div class="charts">
<figure><figcaption id="chart-states-c">Namespaces by state</figcaption>${barChart(
    "chart-states",
    "Namespaces by state",
    stateBars
      .map((b) => `${b.label}: ${b.segments.map((s) => `${s.value} ${s.name}`).join(", ")}`)
      .join("; "),
    stateBars,
  )}${legend([...MODES, { name: "blocked", color: COLORS.blocker }])}</figure>
<figure><figcaption>Blockers and warnings by finding</figcaption>${
    codeBars.length === 0
      ? '<p class="note">No blocker and no warning.</p>'
      : barChart(
          "chart-findings",
          "Blockers and warnings by finding code",
          codeBars
            .map((b) => `${b.label}: ${b.segments.map((s) => `${s.value} ${s.name}`).join(", ")}`)
            .join("; "),
          codeBars,
        ) +
        legend([
          { name: "blocker", color: COLORS.blocker },
          { name: "warning", color: COLORS.warning },
        ])
  }</figure>
</div>
<h3>Namespaces</h3>
${table("Namespaces", ["namespace", "state", "migration", "blockers", "warnings", "waypoint", "journal"], rows)}
</section>`;
}

function findingsTable(label: string, findings: readonly Finding[]): string {
  if (findings.length === 0) return '<p class="note">No finding.</p>';
  return table(
    label,
    ["severity", "finding", "remedy"],
    findings.map((f) => [
      badge(f.severity, f.severity),
      `<code class="code">${esc(f.code)}</code> <code>${esc(`${f.kind}/${f.name}`)}</code><br>${esc(f.message)}${
        f.origin ? `<br><span class="note">${esc(f.origin)}</span>` : ""
      }`,
      f.severity === "info" ? `<span class="note">${esc(f.remedy)}</span>` : esc(f.remedy),
    ]),
  );
}

function stepBlock(namespace: string, step: Step): string {
  const meta = [
    `${step.changes.length} change(s)`,
    `${step.gates.length} verification(s)`,
    step.rollback.length > 0 ? "rollback" : "",
  ]
    .filter(Boolean)
    .join(", ");
  const part = (title: string, lines: readonly string[]) =>
    lines.length === 0
      ? ""
      : `<h4>${title}</h4>${pre(`${namespace} step ${step.step}: ${title}`, lines.map((l) => `$ ${l}`).join("\n"))}`;
  const notes =
    step.notes.length === 0
      ? ""
      : `<ul class="lines">${step.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>`;
  return `<details class="step" id="${nsId(namespace)}-step-${step.step}"><summary>Step ${step.step}: ${esc(step.title)}<span class="meta">${meta}</span></summary>
${part("Run (kubectl equivalent)", step.commands)}${part("Verify", step.verify)}${part("Rollback", step.rollback)}${notes}
</details>`;
}

function stepsSection(n: NamespaceReport): string {
  const plan = n.plan;
  const notes =
    plan.notes.length === 0
      ? ""
      : `<ul class="lines">${plan.notes.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>`;
  if (plan.steps.length === 0) {
    return `<h3>The six steps</h3>${notes}<p class="note">${
      plan.blocked
        ? "Blocked: no step is planned until the blockers above are resolved."
        : "Nothing to plan: the namespace is already ambient or not meshed."
    }</p>`;
  }
  const w = plan.waypoint;
  const dispositions = (
    [
      ["Deleted in step 5", plan.deleteInStep5],
      ["Kept", plan.keep],
      ["Renewed by hand", plan.manualRestarts],
    ] as const
  )
    .filter(([, list]) => list.length > 0)
    .map(
      ([title, list]) =>
        `<h4>${title}</h4><ul class="lines">${list
          .map((d) => `<li><code>${esc(`${d.ref.kind}/${d.ref.name}`)}</code>: ${esc(d.reason)}</li>`)
          .join("")}</ul>`,
    )
    .join("");
  return `<h3>The six steps</h3>
<p>Waypoint: ${esc(w.needed ? `${w.namespace}/${w.name} (${w.create ? "created in step 1" : w.exists ? "exists" : "missing"}): ${w.reason}` : "none needed")}</p>
${notes}${plan.steps.map((s) => stepBlock(n.namespace, s)).join("\n")}${dispositions}`;
}

function translationBlock(namespace: string, pair: TranslationPair): string {
  const src = `${pair.source.kind}/${pair.source.metadata.name}`;
  const translated =
    pair.translated.length === 0
      ? '<p class="note">Nothing produced: the source is kept as is (see the report below).</p>'
      : pre(`${src} translated`, pair.translated.map((o) => toYaml(o)).join("---\n"));
  const produced = pair.translated.map((o) => `${o.kind}/${o.metadata.name}`).join(", ") || "kept as is";
  const entries =
    pair.entries.length === 0
      ? ""
      : table(
          `${namespace} ${src} translation report`,
          ["level", "field", "message"],
          pair.entries.map((e) => [
            badge(e.level === "error" ? "blocker" : e.level, e.level),
            `<code>${esc(e.field)}</code>`,
            esc(e.message),
          ]),
        );
  return `<div class="translation"><h4>${esc(src)} → ${esc(produced)}</h4>
<div class="pair"><figure><figcaption>Before: ${esc(src)}</figcaption>${pre(`${src} source`, toYaml(pair.source))}</figure>
<figure><figcaption>After</figcaption>${translated}</figure></div>${entries}</div>`;
}

function journalSection(namespace: string, journal: Journal, summary: string): string {
  const head = `<p>${badge(journal.status === "failed" ? "blocker" : journal.status === "done" ? "ok" : "info", journal.status)} ${esc(summary)}: run by <code>${esc(journal.holder)}</code>, started ${esc(journal.startedAt)}, updated ${esc(journal.updatedAt)}${journal.failure ? `; failure: ${esc(journal.failure)}` : ""}</p>`;
  const changes = table(
    `${namespace} journal changes`,
    ["time", "step", "change", "target", "state"],
    journal.changes.map((c) => [
      esc(c.doneTime ?? c.time),
      String(c.step),
      esc(c.type),
      `<code>${esc(c.target)}</code>`,
      esc(c.skipped ? `skipped: ${c.skipped}` : c.state),
    ]),
  );
  const gates = table(
    `${namespace} journal gates`,
    ["time", "step", "gate", "result"],
    journal.gates.map((g) => [esc(g.time), String(g.step), `<code>${esc(g.gate)}</code>`, esc(g.detail)]),
  );
  const rollbacks =
    journal.rollbacks.length === 0
      ? ""
      : `<h4>Rollbacks</h4>${table(
          `${namespace} journal rollbacks`,
          ["time", "to step", "changes undone", "verified"],
          journal.rollbacks.map((r) => [
            esc(r.time),
            String(r.toStep),
            String(r.undone.length),
            r.verified ? "yes" : "no",
          ]),
        )}`;
  return `<h3>Journal</h3>${head}<h4>Changes</h4>${changes}<h4>Gates</h4>${gates}${rollbacks}`;
}

function namespaceSection(n: NamespaceReport): string {
  const plan = n.plan;
  const observability = plan.observability
    ? `<h3>Observability</h3><ul class="lines">${renderObservability(plan.observability)
        .slice(1)
        .map((l) => `<li>${esc(l.replace(/^\s*- /, ""))}</li>`)
        .join("")}</ul>`
    : "";
  return `<section class="namespace" id="${nsId(n.namespace)}" aria-labelledby="${nsId(n.namespace)}-h">
<h2 id="${nsId(n.namespace)}-h">Namespace ${esc(n.namespace)} ${badge(plan.state.mode, plan.state.summary)} ${plan.blocked ? badge("blocker", "blocked") : badge("ok", "ready")}</h2>
<h3>Findings and remedies</h3>${findingsTable(`${n.namespace} findings`, n.findings)}
${stepsSection(n)}
${n.translations.length > 0 ? `<h3>Translations</h3>${n.translations.map((p) => translationBlock(n.namespace, p)).join("")}` : ""}
${observability}
${n.journal ? journalSection(n.namespace, n.journal.journal, n.journal.summary) : ""}
</section>`;
}

function wavesSection(data: ReportData): string {
  const { waves, calls } = data.waves;
  if (waves.length === 0) return "";
  const graph = wavesGraph(
    "waves-graph",
    "Waves",
    `${waves.length} wave(s): ${waves.map((w) => `wave ${w.wave}: ${w.namespaces.join(", ")}`).join("; ")}. Arrows: ${calls.length} call(s) between them.`,
    waves,
    calls,
  );
  return `<section id="waves" aria-labelledby="waves-h"><h2 id="waves-h">Waves</h2>
<p>The order <code>ambient-migrate plan --waves</code> gives: callers before the namespaces they call, so that no namespace moves while a caller is still on sidecars (<code>migrate --waves</code> follows it). An arrow is a call between two of them.</p>
<figure><figcaption>Waves, left to right</figcaption>${graph}</figure>
${table(
  "Waves",
  ["wave", "namespaces", "why"],
  waves.map((w) => [
    String(w.wave),
    w.namespaces.map((n) => `<a href="#${nsId(n)}">${esc(n)}</a>`).join(", "),
    `<ul class="lines">${w.why.map((y) => `<li>${esc(y)}</li>`).join("")}</ul>`,
  ]),
)}</section>`;
}

function meshSection(data: ReportData): string {
  const documents = data.plan.observability?.documents ?? [];
  const docs =
    documents.length === 0
      ? ""
      : `<h3>Dashboards and rules to rewrite</h3><p>Run <code>ambient-migrate observability --mode during</code> before step 1, <code>--mode after</code> once every namespace is ambient.</p>${table(
          "Dashboards and rules to rewrite",
          ["document", "queries rewritten", "to check by hand"],
          documents.map((d) => [
            `<code>${esc(d.source)}</code>${d.origin ? `<br><span class="note">${esc(d.origin)}</span>` : ""}`,
            String(d.rewritten),
            String(d.flagged),
          ]),
        )}`;
  if (data.meshFindings.length === 0 && !docs) return "";
  return `<section id="mesh" aria-labelledby="mesh-h"><h2 id="mesh-h">Mesh-wide</h2>
${data.meshFindings.length > 0 ? `<h3>Findings that concern every namespace</h3>${findingsTable("Mesh-wide findings", data.meshFindings)}` : ""}${docs}</section>`;
}

export function renderReportHtml(data: ReportData): string {
  const toc = `<nav class="toc" aria-label="Contents"><ul>
<li><a href="#overview">Overview</a></li>
${data.waves.waves.length > 0 ? '<li><a href="#waves">Waves</a></li>' : ""}
${data.meshFindings.length > 0 || (data.plan.observability?.documents.length ?? 0) > 0 ? '<li><a href="#mesh">Mesh-wide</a></li>' : ""}
<li>Namespaces<ul class="sub">${data.namespaces
    .map((n) => `<li><a href="#${nsId(n.namespace)}">${esc(n.namespace)}</a></li>`)
    .join("")}</ul></li></ul></nav>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>Ambient migration report</title>
<style>${CSS}</style>
</head>
<body>
<header class="top"><h1>Ambient migration report</h1>
<p>${data.namespaces.length} namespace(s) read from ${esc(data.source)}; generated ${esc(data.generatedAt)} by ambient-migrate.</p>
<p class="toolbar"><button type="button" data-expand="open">Expand all steps</button> <button type="button" data-expand="close">Collapse all</button></p>
</header>
<div class="layout">
${toc}
<main>
${overview(data)}
${wavesSection(data)}
${meshSection(data)}
${data.namespaces.map(namespaceSection).join("\n")}
</main>
</div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
