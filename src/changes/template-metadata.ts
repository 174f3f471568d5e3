// A pod template label or annotation removed (`--patch-forced-injection`, step 3).

import { templateMetadataOf, templateMetadataPatch } from "../cluster/port.js";
import { describeRef, type ObjectRef } from "../inventory/identity.js";
import { kubectlTarget } from "../kubectl.js";
import type { ChangeHandler } from "./handler.js";
import { replaced, setValue } from "./set-value.js";

/**
 * Set (value) or remove (null) a key of a workload's pod template labels or annotations
 * (`migrate --patch-forced-injection`: the keys that make the injector select the template on
 * its own); previous is what the input showed, for rollback.
 */
export interface TemplateMetadataChange {
  type: "template-metadata";
  target: ObjectRef;
  field: "labels" | "annotations";
  key: string;
  value: string | null;
  previous: string | null;
}

function patchCommand(c: TemplateMetadataChange, value: string | null): string {
  const patch = templateMetadataPatch(c.target.kind, c.field, { [c.key]: value });
  return `kubectl patch ${kubectlTarget(c.target)} --type=merge -p '${JSON.stringify(patch)}'`;
}

export const templateMetadata: ChangeHandler<TemplateMetadataChange> = {
  commands: (c) => [patchCommand(c, c.value)],
  rollback: (c) => [patchCommand(c, c.previous)],
  target: (c) => describeRef(c.target),
  perform: (c, ctx) =>
    setValue(
      c,
      ctx,
      templateMetadata.commands(c),
      (object) => templateMetadataOf(object, c.field),
      (values) => ctx.port.patchTemplateMetadata(c.target, c.field, values),
      ` in the pod template's ${c.field}`,
    ),
  async serverDryRun(c, { port }) {
    await port.patchTemplateMetadata(c.target, c.field, { [c.key]: c.value }, { dryRun: true });
  },
  async undo(c, { port, entry, out }) {
    const previous = replaced(c, entry);
    for (const line of templateMetadata.rollback({ ...c, previous })) out(line);
    await port.patchTemplateMetadata(c.target, c.field, { [c.key]: previous });
  },
};
