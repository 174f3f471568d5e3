// A namespace label set or removed (steps 1-3: use-waypoint, dataplane-mode, injection labels).

import { describeRef, type ObjectRef } from "../inventory/identity.js";
import { labelsOf } from "../inventory/model.js";
import { kubectlTarget } from "../kubectl.js";
import type { ChangeHandler } from "./handler.js";
import { replaced, setValue } from "./set-value.js";

/** Set (value) or remove (null) a label; previous is what the input showed, for rollback. */
export interface LabelChange {
  type: "label";
  target: ObjectRef;
  key: string;
  value: string | null;
  previous: string | null;
}

function labelCommand(ref: ObjectRef, key: string, value: string | null): string {
  return value === null
    ? `kubectl label ${kubectlTarget(ref)} ${key}-`
    : `kubectl label ${kubectlTarget(ref)} ${key}=${value} --overwrite`;
}

export const label: ChangeHandler<LabelChange> = {
  commands: (c) => [labelCommand(c.target, c.key, c.value)],
  rollback: (c) => [labelCommand(c.target, c.key, c.previous)],
  target: (c) => describeRef(c.target),
  perform: (c, ctx) =>
    setValue(c, ctx, label.commands(c), labelsOf, (values) => ctx.port.patchLabels(c.target, values)),
  async serverDryRun(c, { port }) {
    await port.patchLabels(c.target, { [c.key]: c.value }, { dryRun: true });
  },
  async undo(c, { port, entry, out }) {
    const previous = replaced(c, entry);
    for (const line of label.rollback({ ...c, previous })) out(line);
    await port.patchLabels(c.target, { [c.key]: previous });
  },
};
