// Names, labels and annotations of the objects the translation creates.

import { createHash } from "node:crypto";
import { describeRef, refOf } from "../inventory/identity.js";
import type { KubeObject } from "../inventory/model.js";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../ownership.js";

/** Names the source object a translated object comes from: `Kind/namespace/name`. */
export const SOURCE_ANNOTATION = "ambient-migrate/translated-from";
/** istiod's default trust domain and DNS suffix; the translation assumes them. */
export const DOMAIN_SUFFIX = "cluster.local";
export const TRUST_DOMAIN = "cluster.local";

const MAX_DNS_LABEL = 63;

/**
 * A DNS-1035 label (Service names): lower-case alphanumerics and '-', starts with a letter,
 * at most 63 characters. Longer names keep a readable head and end with a hash of the full
 * name, so the result is deterministic and distinct names stay distinct.
 */
export function dns1035Label(wanted: string): { name: string; changed: boolean } {
  let name = wanted.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  if (!/^[a-z]/.test(name)) name = `x-${name}`;
  name = name.replace(/-+$/, "");
  if (name.length > MAX_DNS_LABEL) {
    const hash = createHash("sha256").update(wanted).digest("hex").slice(0, 8);
    name = `${name.slice(0, MAX_DNS_LABEL - hash.length - 1).replace(/-+$/, "")}-${hash}`;
  }
  return { name, changed: name !== wanted };
}

/** The source annotation's value, `Kind/namespace/name` (sources are namespaced objects). */
export function sourceName(object: KubeObject): string {
  return describeRef(refOf(object));
}

/** metadata for an object made from `source`. */
export function translatedMetadata(
  name: string,
  namespace: string,
  source: KubeObject,
): KubeObject["metadata"] {
  return {
    name,
    namespace,
    labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
    annotations: { [SOURCE_ANNOTATION]: sourceName(source) },
  };
}
