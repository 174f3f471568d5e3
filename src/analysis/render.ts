// The checks of an analysis as text (plan --slo default prints every query) and as data.

import { conditionText } from "./judge.js";
import type { Analysis, Check } from "./model.js";

export function describeChecks(analysis: Analysis, namespace: string, checks: readonly Check[]): string[] {
  const lines = [
    `Analysis for ${namespace} (${analysis.source}): after steps ${analysis.steps.join(", ")}; on failure: ${analysis.onFailure}`,
  ];
  if (checks.length === 0)
    lines.push("  no check: the namespace has no Service with a selector (every gate would be inconclusive)");
  for (const c of checks) {
    const when = c.steps
      ? `after steps ${c.steps.map((s) => (s === 0 ? "0 (baseline, after rollback)" : s)).join(", ")}`
      : "after every gated step";
    lines.push(
      `  ${c.key}: ${conditionText(c)}${c.baseline ? " (baseline before step 1)" : ""}; ${when}; ${c.count} x every ${c.intervalMs / 1000}s after ${c.initialDelayMs / 1000}s; failureLimit ${c.failureLimit}, inconclusiveLimit ${c.inconclusiveLimit}`,
    );
    if (c.note) lines.push(`    ${c.note}`);
    lines.push(`    ${c.query}`);
  }
  return lines;
}
