// The six steps of a namespace's migration, by name, in the one place that orders them. Code
// names a step by its id; people see its number ("step 3"), which is its place in STEPS and
// what the journal, `rollback --to-step N` and `migrate --to-step N` use.
// To add a step: add it here in its place, and give plan/build.ts a draft for it.

export const STEPS = [
  { id: "activate-waypoint", title: "Activate the waypoint" },
  { id: "enable-ambient", title: "Enable ambient mode for the namespace" },
  { id: "remove-injection", title: "Remove sidecar injection" },
  { id: "restart", title: "Restart the workloads" },
  { id: "remove-sidecar-config", title: "Remove sidecar-era config" },
  { id: "validate", title: "Validate" },
] as const;

export type StepId = (typeof STEPS)[number]["id"];

/** A step's number as people see it: 1 for the first (1 | 2 | ... | STEPS.length). */
export type StepNumber = Exclude<Partial<typeof STEPS>["length"], 0>;

export const LAST_STEP = STEPS.length as StepNumber;

export function stepNumber(id: StepId): StepNumber {
  return (STEPS.findIndex((s) => s.id === id) + 1) as StepNumber;
}

export function stepTitle(id: StepId): string {
  return STEPS[stepNumber(id) - 1]?.title ?? id;
}

/** Whether a step number is one of the steps (for flags such as --to-step). */
export function isStepNumber(n: number): n is StepNumber {
  return Number.isInteger(n) && n >= 1 && n <= STEPS.length;
}
