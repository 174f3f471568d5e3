// Setting or removing one key of a string map (namespace labels, pod template metadata): what the
// label and template-metadata changes share.

import type { LabelValues, PatchLabelsResult } from "../cluster/port.js";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import type { ObjectRef } from "../inventory/identity.js";
import type { KubeObject } from "../inventory/model.js";
import type { PerformContext } from "./handler.js";

interface SetValueChange {
  target: ObjectRef;
  key: string;
  value: string | null;
  previous: string | null;
}

/**
 * Skipped when the key already has the value; the value replaced is journalled (the first
 * run's, on resume).
 */
export async function setValue(
  change: SetValueChange,
  ctx: PerformContext,
  lines: string[],
  read: (object: KubeObject) => Record<string, string>,
  patch: (values: LabelValues) => Promise<PatchLabelsResult>,
  where = "",
): Promise<string | undefined> {
  const { entry, resumed } = ctx;
  const object = await ctx.port.get(change.target);
  if (!object) throw new AmbientMigrateError(`${entry.target} not found`, ExitCode.notFound);
  const current = read(object)[change.key] ?? null;
  if (!resumed) entry.previous = current;
  await ctx.save();
  if (current === change.value)
    return change.value === null
      ? `${change.key} already absent${where}`
      : `${change.key} already ${change.value}${where}`;
  for (const line of lines) ctx.out(line);
  const result = await patch({ [change.key]: change.value });
  if (!resumed) entry.previous = result.previous[change.key] ?? null;
  return undefined;
}

/** The value this run really replaced (journalled), else what the plan's input showed. */
export function replaced(change: SetValueChange, entry: { previous?: string | null }): string | null {
  return entry.previous === undefined ? change.previous : entry.previous;
}
