// How the tool names one Kubernetes object: the reference it addresses it by (apiVersion, kind,
// namespace, name) and the short text it shows people.

import type { KubeObject } from "./model.js";

/** Enough to address one object: apiVersion + kind are resolved to a resource path. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    name: object.metadata.name,
  };
}

export function namespaceRef(name: string): ObjectRef {
  return { apiVersion: "v1", kind: "Namespace", name };
}

/** `Kind/namespace/name` (`Kind/name` for cluster-scoped objects). */
export function describeRef(ref: Pick<ObjectRef, "kind" | "namespace" | "name">): string {
  return `${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
}
