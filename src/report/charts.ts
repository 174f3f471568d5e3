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
