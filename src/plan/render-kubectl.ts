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
  Object.defineProperty(step, SOURCE, { value: { draft, restoreFirst } });
  Object.defineProperties(step, LAZY_FIELDS);
  return step;
}

/** Where a step's lazy fields find what they are rendered from (not enumerable: not in JSON). */
const SOURCE = Symbol("step source");

type Source = { draft: StepDraft; restoreFirst: readonly Change[] };

const RENDER: Record<"commands" | "verify" | "rollback", (source: Source) => string[]> = {
  commands: ({ draft }) => draft.changes.flatMap(changeCommands),
  verify: ({ draft }) => draft.gates.flatMap(gateVerify),
  rollback: ({ draft, restoreFirst }) => [
    ...new Set([
      ...restoreFirst.flatMap(changeRollback),
      ...[...draft.changes].reverse().flatMap(changeRollback),
    ]),
  ],
};

/**
 * Each lazy field is computed on its first read, then a plain value; enumerable, so JSON includes
 * it. The getters are shared by every step, not closures made for each: V8 keeps an accessor's
 * getter pair in the old generation, and a closure per step kept each step's draft alive until
 * the next full collection (880 MB of garbage promoted while a 37,000-namespace plan was printed).
 */
const LAZY_FIELDS: PropertyDescriptorMap = Object.fromEntries(
  Object.entries(RENDER).map(([key, render]) => [
    key,
    {
      enumerable: true,
      configurable: true,
      get(this: Step & { [SOURCE]: Source }) {
        const value = render(this[SOURCE]);
        Object.defineProperty(this, key, { value, enumerable: true, configurable: true, writable: true });
        return value;
      },
    },
  ]),
);
