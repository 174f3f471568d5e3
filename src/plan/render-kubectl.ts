// A step rendered for people: the kubectl/istioctl lines a person can run by hand (commands from
// changes, verify from gates, rollback from changes and the previous values they recorded). The
// lines come from the change and gate handlers, the same modules the executor runs, so they
// cannot disagree with what the executor does.

import { type Change, changeCommands, changeRollback } from "../changes/index.js";
import { type Gate, gateVerify } from "../gates/index.js";
import type { Step } from "./model.js";
import { type StepId, stepNumber, stepTitle } from "./steps.js";

export interface StepDraft {
  id: StepId;
  changes: Change[];
  gates: Gate[];
  notes: string[];
}

/**
 * Renders a step. `restoreFirst` are changes whose rollback must run before this step's own
 * (the restart step's pods only get sidecars back once the injection label is back).
 */
export function renderStep(draft: StepDraft, restoreFirst: readonly Change[] = []): Step {
  // Rendered when first read, not here: most plans are built to be assessed, run or counted, and
  // the kubectl text (the YAML of every object applied) was most of the time spent building one.
  const step = {
    id: draft.id,
    step: stepNumber(draft.id),
    title: stepTitle(draft.id),
    changes: draft.changes,
    gates: draft.gates,
    notes: draft.notes,
  } as Step;
  lazy(step, "commands", () => draft.changes.flatMap(changeCommands));
  lazy(step, "verify", () => draft.gates.flatMap(gateVerify));
  lazy(step, "rollback", () => [
    ...new Set([
      ...restoreFirst.flatMap(changeRollback),
      ...[...draft.changes].reverse().flatMap(changeRollback),
    ]),
  ]);
  return step;
}

/** Makes `key` computed on its first read, then a plain value; enumerable, so JSON includes it. */
function lazy<T extends object, K extends keyof T>(target: T, key: K, compute: () => T[K]): void {
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get() {
      const value = compute();
      Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
      return value;
    },
  });
}
