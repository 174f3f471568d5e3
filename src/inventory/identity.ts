// How the tool names one Kubernetes object: the reference it addresses it by (apiVersion, kind,
// namespace, name), the key it compares objects by, and the short text it shows people.

import { groupOf, type KnownKindKey, kindKey, lookupKind } from "./kinds.js";
import type { Inventory, KubeObject } from "./model.js";

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

/**
 * The same object whatever its API version (a finding may name v1beta1 what the cluster serves
 * as v1): `Kind.group namespace/name`, e.g. `VirtualService.networking.istio.io shop/reviews`.
 */
export function objectKey(object: ObjectRef | Pick<KubeObject, "apiVersion" | "kind" | "metadata">): string {
  const { namespace, name } = "metadata" in object ? object.metadata : object;
  return `${kindKey(groupOf(object.apiVersion), object.kind)} ${namespace ? `${namespace}/` : ""}${name}`;
}

/** The object a reference names in the inventory (undefined for a kind the inventory does not hold). */
export function objectAt(inventory: Inventory, ref: ObjectRef): KubeObject | undefined {
  const info = lookupKind(ref.apiVersion, ref.kind);
  return info
    ? inventory.get(kindKey(info.group, info.kind) as KnownKindKey, ref.namespace, ref.name)
    : undefined;
}
