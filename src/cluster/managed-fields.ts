// Who changed an object, from its managedFields (server-side apply's record of which manager
// owns which field, kept for every write, kubectl edit/label/patch included). Used to name
// the manager of a concurrent edit instead of overwriting it.

import type { KubeObject } from "../inventory/model.js";
import { FIELD_MANAGER } from "../ownership.js";

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  time?: string;
  fieldsV1?: Record<string, unknown>;
}

export function managedFieldsOf(object: KubeObject): ManagedFieldsEntry[] {
  return (object.metadata.managedFields ?? []) as ManagedFieldsEntry[];
}

/** Whether fieldsV1 holds the path, e.g. ["metadata", "labels", "istio.io/rev"]. */
function owns(fields: Record<string, unknown> | undefined, path: readonly string[]): boolean {
  let node: unknown = fields;
  for (const key of path) {
    if (!node || typeof node !== "object") return false;
    node = (node as Record<string, unknown>)[`f:${key}`];
  }
  return node !== undefined;
}

/** Managers other than the tool (and its locks) that own the field at path. */
export function foreignOwners(object: KubeObject, path: readonly string[]): ManagedFieldsEntry[] {
  return managedFieldsOf(object).filter((e) => !isOurs(e) && owns(e.fieldsV1, path));
}

function isOurs(entry: ManagedFieldsEntry): boolean {
  return entry.manager === FIELD_MANAGER || (entry.manager ?? "").startsWith(`${FIELD_MANAGER}-`);
}

/** Writers of the object's spec (or data) other than the tool; status writers are left out. */
export function foreignSpecWriters(object: KubeObject): ManagedFieldsEntry[] {
  return managedFieldsOf(object).filter(
    (e) =>
      !isOurs(e) && e.subresource !== "status" && (owns(e.fieldsV1, ["spec"]) || owns(e.fieldsV1, ["data"])),
  );
}

/** The newest write by someone other than the tool: who most likely changed the object last. */
export function latestForeignWriter(object: KubeObject): ManagedFieldsEntry | undefined {
  return managedFieldsOf(object)
    .filter((e) => !isOurs(e) && e.subresource !== "status")
    .sort((a, b) => (b.time ?? "").localeCompare(a.time ?? ""))[0];
}

/** `"kubectl-label" (Update at 2026-12-01T08:00:00Z)`, or a phrase when nobody is recorded. */
export function describeManager(entry: ManagedFieldsEntry | undefined): string {
  if (!entry?.manager) return "a writer the object's managedFields do not record";
  return `"${entry.manager}" (${entry.operation ?? "write"}${entry.time ? ` at ${entry.time}` : ""})`;
}
