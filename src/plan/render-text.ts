// The plan as text a platform engineer can follow by hand: per namespace, its state, then each
// step's commands, verifications, rollback and notes, then what step 5 deletes and keeps.

import type { NamespacePlan, Plan, Step } from "./model.js";

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

export function renderNamespacePlan(plan: NamespacePlan): string {
  const out = [`Namespace ${plan.namespace}: ${plan.state.summary}${plan.blocked ? "  [BLOCKED]" : ""}`];
  for (const b of plan.blockers) out.push(`  blocker ${b.code}: ${b.kind}/${b.name}: ${b.message}`);
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
  return out.join("\n");
}

export function renderPlanText(plan: Plan): string {
  return `${plan.namespaces.map(renderNamespacePlan).join("\n\n")}\n`;
}
