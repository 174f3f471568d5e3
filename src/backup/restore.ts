// What restoring a backup would do to each object, decided before anything is applied. A plain
// `kubectl apply -f backup.yaml` overwrites same-named objects that the migration created
// (HTTPRoute, targetRefs policies); the rollback restores selectively instead.

import { isDeepStrictEqual } from "node:util";
import { objectKey } from "../inventory/identity.js";
import type { KubeObject } from "../inventory/model.js";
import { stripServerFields } from "./strip.js";

type RestoreAction =
  /** Absent now: re-create it from the backup. */
  | "create"
  /** Present and equal to the backup: nothing to do. */
  | "unchanged"
  /** Present and different (a newer object, e.g. written by the migration): left alone. */
  | "skip"
  /** Present and different, and the caller asked to overwrite: apply the backup over it. */
  | "overwrite";

interface RestoreItem {
  id: string;
  action: RestoreAction;
  /** The backed-up object, ready to apply. */
  object: KubeObject;
  /** The fields that differ, for "skip" and "overwrite" (top-level paths such as spec, metadata.labels). */
  differences: string[];
}

function differingFields(backup: KubeObject, current: KubeObject): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(backup), ...Object.keys(current)]);
  for (const key of [...keys].sort()) {
    if (key === "metadata") {
      const b = backup.metadata as Record<string, unknown>;
      const c = current.metadata as Record<string, unknown>;
      for (const m of [...new Set([...Object.keys(b), ...Object.keys(c)])].sort()) {
        if (!isDeepStrictEqual(b[m], c[m])) out.push(`metadata.${m}`);
      }
    } else if (!isDeepStrictEqual(backup[key], current[key])) out.push(key);
  }
  return out;
}

export function restorePlan(
  backup: readonly KubeObject[],
  current: readonly KubeObject[],
  options: { overwrite?: boolean } = {},
): RestoreItem[] {
  const now = new Map(current.map((o) => [objectKey(o), stripServerFields(o)]));
  return backup.map((saved) => {
    const object = stripServerFields(saved);
    const id = objectKey(object);
    const present = now.get(id);
    if (!present) return { id, action: "create", object, differences: [] };
    const differences = differingFields(object, present);
    if (differences.length === 0) return { id, action: "unchanged", object, differences };
    return { id, action: options.overwrite ? "overwrite" : "skip", object, differences };
  });
}
