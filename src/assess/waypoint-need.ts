// Why a namespace needs a waypoint: anything L7 that sidecars enforced and ztunnel cannot.
// One function, read by the checks (to warn about identity-keyed L4 policies) and, through the
// assessment, by the plan (to create and label the waypoint in step 1).

import { K, type KnownKindKey } from "../inventory/kinds.js";
import type { KubeObject } from "../inventory/model.js";
import { attachmentOf } from "../mesh/authorization.js";
import type { MeshBinding } from "./routing.js";

/** What the reasons are read from: one namespace's objects (a NamespaceContext). */
interface WaypointNeedSource {
  authorizationPolicies(): readonly { object: KubeObject; policy: { needsWaypoint: boolean } }[];
  virtualServices(): readonly { object: KubeObject; binding: MeshBinding }[];
  list(kind: KnownKindKey): KubeObject[];
}

export function waypointReasons(ctx: WaypointNeedSource): string[] {
  const reasons: string[] = [];
  for (const { object, policy } of ctx.authorizationPolicies()) {
    if (policy.needsWaypoint)
      reasons.push(`AuthorizationPolicy/${object.metadata.name} needs L7 enforcement`);
  }
  for (const { object, binding } of ctx.virtualServices()) {
    if (binding !== "ingress") reasons.push(`VirtualService/${object.metadata.name} routes mesh traffic`);
  }
  for (const kind of [K.RequestAuthentication, K.WasmPlugin] as const) {
    for (const object of ctx.list(kind)) {
      if (attachmentOf(object.spec) !== "targetRefs")
        reasons.push(`${object.kind}/${object.metadata.name} is L7 and applies to workloads`);
    }
  }
  for (const route of ctx.list(K.HTTPRoute)) {
    const parents = (route.spec?.parentRefs ?? []) as { kind?: string; group?: string }[];
    if (parents.some((p) => p.kind === "Service" && (p.group ?? "") === ""))
      reasons.push(`HTTPRoute/${route.metadata.name} is attached to a Service (a mesh route)`);
  }
  return reasons;
}
