// kubectl's spelling of objects, shared by every line the tool renders for a person to run by hand.

import type { ObjectRef } from "./inventory/identity.js";
import { lookupKind } from "./inventory/kinds.js";

const CORE_NAMES: Record<string, string> = { Namespace: "namespace", Service: "service", Pod: "pod" };

/** kubectl's unambiguous resource name: `virtualservices.networking.istio.io`, `deployment`. */
export function resourceOf(ref: Pick<ObjectRef, "apiVersion" | "kind">): string {
  const info = lookupKind(ref.apiVersion, ref.kind);
  if (!info) return ref.kind.toLowerCase();
  if (info.group === "") return CORE_NAMES[info.kind] ?? info.plural;
  if (info.group === "apps" || info.group === "batch") return info.kind.toLowerCase();
  return `${info.plural}.${info.group}`;
}

/** ` -n NS`, or nothing for a cluster-scoped object. */
export function nsFlag(ref: Pick<ObjectRef, "namespace">): string {
  return ref.namespace ? ` -n ${ref.namespace}` : "";
}

/** `resource name -n NS`: one object as kubectl's arguments. */
export function kubectlTarget(ref: ObjectRef): string {
  return `${resourceOf(ref)} ${ref.name}${nsFlag(ref)}`;
}

export function selectorText(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
