// The plan as text a platform engineer can follow by hand: per namespace, its state, then each
// step's commands, verifications, rollback and notes, then what step 5 deletes and keeps.

import type { NamespacePlan, Plan, PlanObservability, Step } from "./model.js";

const indent = (lines: readonly string[], prefix: string) =>
  lines.map((line) =>
    line
      .split("\n")
      .map((l, i) => (i === 0 ? `${prefix}${l}` : `${" ".repeat(prefix.length)}${l}`))
      .join("\n"),
  );

function renderStep(step: Step): string[] {
  const out = [`  Step ${step.step}: ${step.title}`];
  if (step.commands.length > 0) out.push("    run:", ...indent(step.commands, "      $ "));
  if (step.verify.length > 0) out.push("    verify:", ...indent(step.verify, "      $ "));
  if (step.rollback.length > 0) out.push("    rollback:", ...indent(step.rollback, "      $ "));
  out.push(...indent(step.notes, "    note: "));
  return out;
}

/** Errors one by one (they block, or are accepted losses); warnings counted. */
function renderTranslationSummary(plan: NamespacePlan): string[] {
  const report = plan.translationReport ?? [];
  if (report.length === 0) return [];
  const errors = report.filter((e) => e.level === "error");
  const warnings = report.length - errors.length;
  return [
    `  translation: ${errors.length} error(s), ${warnings} warning(s); ambient-migrate translate -n ${plan.namespace} shows the full report`,
    ...errors.map((e) => `    error ${e.source.kind}/${e.source.name} ${e.field}: ${e.message}`),
  ];
}

export function renderObservability(o: PlanObservability): string[] {
  const lines = [
    ...o.metrics,
    ...o.brokenMonitors.map(
      (m) => `monitor ${m.namespace}/${m.monitor} stops scraping this namespace: ${m.reasons.join("; ")}`,
    ),
    ...(o.podMonitorsToGenerate.length > 0
      ? [
          `the sidecar merged these apps' metrics; scrape them directly (ambient-migrate observability --output-dir generates PodMonitors): ${o.podMonitorsToGenerate.join(", ")}`,
        ]
      : []),
    ...(o.strictMtls
      ? [
          "STRICT mTLS: a Prometheus outside the mesh cannot scrape the apps' ports once they are in ambient mode",
        ]
      : []),
    ...o.tracing.lines,
  ];
  return [
    "  After migration (observability, no change made by this plan; ambient-migrate observability --apply makes them):",
    ...indent(lines, "    - "),
  ];
}

function renderNamespacePlan(plan: NamespacePlan): string {
  const out = [`Namespace ${plan.namespace}: ${plan.state.summary}${plan.blocked ? "  [BLOCKED]" : ""}`];
  for (const b of plan.blockers) out.push(`  blocker ${b.code}: ${b.kind}/${b.name}: ${b.message}`);
  out.push(...renderTranslationSummary(plan));
  if (!plan.blocked && plan.steps.length > 0) {
    const w = plan.waypoint;
    out.push(
      w.needed
        ? `  waypoint: ${w.namespace}/${w.name} (${w.create ? "created in step 1" : w.exists ? "exists" : "missing"}): ${w.reason}`
        : `  waypoint: none needed`,
    );
    if (plan.warnings.length > 0)
      out.push(
        `  warnings: ${plan.warnings.length} (${[...new Set(plan.warnings.map((f) => f.code))].join(", ")}); see ambient-migrate assess`,
      );
  }
  out.push(...indent(plan.notes, "  note: "));
  for (const step of plan.steps) out.push(...renderStep(step));
  if (plan.steps.length > 0) {
    for (const [title, list] of [
      ["deleted in step 5", plan.deleteInStep5],
      ["kept", plan.keep],
      ["renewed by hand", plan.manualRestarts],
    ] as const) {
      if (list.length > 0)
        out.push(`  ${title}:`, ...list.map((d) => `    ${d.ref.kind}/${d.ref.name}: ${d.reason}`));
    }
  }
  if (plan.observability) out.push(...renderObservability(plan.observability));
  return out.join("\n");
}

export function renderPlanText(plan: Plan): string {
  return [...planTextChunks(plan)].join("");
}

/**
 * The text plan in pieces, one namespace each, in order: written as they come, a plan of tens
 * of thousands of namespaces never exists as one string (nor its namespaces' plans at once).
 */
export function* planTextChunks(plan: {
  namespaces: Iterable<NamespacePlan>;
  observability?: Plan["observability"];
}): Generator<string> {
  let first = true;
  for (const namespace of plan.namespaces) {
    yield `${first ? "" : "\n\n"}${renderNamespacePlan(namespace)}`;
    first = false;
  }
  const documents = plan.observability?.documents ?? [];
  const rewrite =
    documents.length === 0
      ? ""
      : `\n\nDashboards and rules to rewrite (ambient-migrate observability --mode during before step 1, --mode after once every namespace is ambient):\n${documents
          .map(
            (d) =>
              `  ${d.source}${d.origin ? ` (${d.origin})` : ""}: ${d.rewritten} quer(ies) rewritten, ${d.flagged} to check by hand`,
          )
          .join("\n")}`;
  yield `${rewrite}\n`;
}
