// Inline SVG bar charts for the report: no chart library, no external request. Each chart has
// a title and a description for screen readers, and the report prints its numbers in a table
// too. A narrow viewBox keeps the labels readable when a phone shrinks the chart.

import { esc } from "./escape.js";

export interface Bar {
  label: string;
  /** Stacked segments, drawn left to right. */
  segments: { value: number; color: string; name: string }[];
}

const WIDTH = 360;
const ROW = 34;
const LABEL_ROW = 14;

export function barChart(id: string, title: string, description: string, bars: readonly Bar[]): string {
  const max = Math.max(1, ...bars.map((b) => b.segments.reduce((a, s) => a + s.value, 0)));
  const usable = WIDTH - 40;
  const height = Math.max(ROW, bars.length * ROW) + 4;
  const rows = bars.map((bar, i) => {
    const y = i * ROW;
    let x = 0;
    const rects = bar.segments
      .filter((s) => s.value > 0)
      .map((s) => {
        const w = (s.value / max) * usable;
        const rect = `<rect x="${x.toFixed(1)}" y="${y + LABEL_ROW + 2}" width="${w.toFixed(1)}" height="14" rx="2" fill="${s.color}"><title>${esc(`${bar.label}: ${s.value} ${s.name}`)}</title></rect>`;
        x += w;
        return rect;
      })
      .join("");
    const total = bar.segments.reduce((a, s) => a + s.value, 0);
    return (
      `<text x="0" y="${y + 11}" class="chart-label">${esc(bar.label)}</text>` +
      rects +
      `<text x="${(x + 6).toFixed(1)}" y="${y + LABEL_ROW + 14}" class="chart-value">${total}</text>`
    );
  });
  return (
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${id}-t ${id}-d" preserveAspectRatio="xMinYMin meet">` +
    `<title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(description)}</desc>` +
    `${rows.join("")}</svg>`
  );
}

export function legend(items: readonly { name: string; color: string }[]): string {
  return `<ul class="legend">${items
    .map((i) => `<li><span class="swatch" style="background:${i.color}"></span>${esc(i.name)}</li>`)
    .join("")}</ul>`;
}

const COLUMN = 170;
const BOX = { width: 140, height: 26 };
const GAP = 14;

/**
 * The waves as a graph: one column per wave, a box per namespace, an arrow per call between two of
 * them (a caller in an earlier wave than what it calls, or beside it in the same wave).
 */
export function wavesGraph(
  id: string,
  title: string,
  description: string,
  waves: readonly { wave: number; namespaces: readonly string[] }[],
  calls: readonly { from: string; to: string }[],
): string {
  const at = new Map<string, { x: number; y: number }>();
  for (const [column, w] of waves.entries())
    for (const [row, ns] of w.namespaces.entries())
      at.set(ns, { x: column * COLUMN, y: 22 + row * (BOX.height + GAP) });
  const rows = Math.max(1, ...waves.map((w) => w.namespaces.length));
  const width = Math.max(1, waves.length) * COLUMN;
  const height = 22 + rows * (BOX.height + GAP);
  const label = (text: string) => (text.length > 20 ? `${text.slice(0, 19)}…` : text);
  const heads = waves
    .map((w, i) => `<text x="${i * COLUMN}" y="12" class="chart-label">wave ${w.wave}</text>`)
    .join("");
  const arrows = calls
    .map((c) => {
      const from = at.get(c.from);
      const to = at.get(c.to);
      if (!from || !to) return "";
      const forward = to.x > from.x;
      const x1 = from.x + (forward ? BOX.width : BOX.width / 2);
      const y1 = from.y + (forward ? BOX.height / 2 : BOX.height);
      const x2 = to.x + (forward ? 0 : BOX.width / 2);
      const y2 = to.y + (forward ? BOX.height / 2 : 0);
      return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" class="call" marker-end="url(#${id}-arrow)"><title>${esc(`${c.from} calls ${c.to}`)}</title></line>`;
    })
    .join("");
  const boxes = [...at]
    .map(
      ([ns, p]) =>
        `<g><title>${esc(ns)}</title><rect x="${p.x}" y="${p.y}" width="${BOX.width}" height="${BOX.height}" rx="4" class="wave-ns"></rect>` +
        `<text x="${p.x + 8}" y="${p.y + 17}" class="chart-label">${esc(label(ns))}</text></g>`,
    )
    .join("");
  return (
    `<svg class="chart waves" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-t ${id}-d" preserveAspectRatio="xMinYMin meet">` +
    `<title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(description)}</desc>` +
    `<defs><marker id="${id}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow-head"></path></marker></defs>` +
    `${heads}${arrows}${boxes}</svg>`
  );
}
