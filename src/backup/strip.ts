// What a backup keeps of an object: everything a person or controller wrote, nothing the
// apiserver set. Objects that keep resourceVersion/uid/status cannot be re-created with
// `kubectl apply` (the guide's own backup has this flaw; see procedure.md section 4).

import type { KubeObject } from "../inventory/model.js";

export const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

const SERVER_METADATA = [
  "resourceVersion",
  "uid",
  "creationTimestamp",
  "generation",
  "managedFields",
  "selfLink",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
] as const;

/** A copy without server-set fields; the input is not changed. */
export function stripServerFields(object: KubeObject): KubeObject {
  const { status: _status, ...rest } = structuredClone(object);
  const metadata = rest.metadata;
  for (const field of SERVER_METADATA) delete metadata[field];
  if (metadata.annotations) {
    delete metadata.annotations[LAST_APPLIED];
    if (Object.keys(metadata.annotations).length === 0) delete metadata.annotations;
  }
  return rest as KubeObject;
}
