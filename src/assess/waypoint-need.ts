// Why a namespace needs a waypoint: anything L7 that sidecars enforced and ztunnel cannot.
// One function, read by the checks (to warn about identity-keyed L4 policies) and by the
// assessment's dispositions, from which the plan decides the waypoint of step 1.

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

/** One object that needs the namespace's waypoint, and why. */
export interface WaypointNeed {
  object: KubeObject;
  reason: string;
}

/** Each object of the namespace that needs a waypoint, in a fixed order (policies, routes, extensions). */
export function waypointNeeds(ctx: WaypointNeedSource): WaypointNeed[] {
  const needs: WaypointNeed[] = [];
  for (const { object, policy } of ctx.authorizationPolicies()) {
    if (policy.needsWaypoint)
      needs.push({ object, reason: `AuthorizationPolicy/${object.metadata.name} needs L7 enforcement` });
  }
  for (const { object, binding } of ctx.virtualServices()) {
    if (binding !== "ingress")
      needs.push({ object, reason: `VirtualService/${object.metadata.name} routes mesh traffic` });
  }
  for (const kind of [K.RequestAuthentication, K.WasmPlugin] as const) {
    for (const object of ctx.list(kind)) {
      if (attachmentOf(object.spec) !== "targetRefs")
        needs.push({
          object,
          reason: `${object.kind}/${object.metadata.name} is L7 and applies to workloads`,
        });
    }
  }
  for (const route of ctx.list(K.HTTPRoute)) {
    const parents = (route.spec?.parentRefs ?? []) as { kind?: string; group?: string }[];
    if (parents.some((p) => p.kind === "Service" && (p.group ?? "") === ""))
      needs.push({
        object: route,
        reason: `HTTPRoute/${route.metadata.name} is attached to a Service (a mesh route)`,
      });
  }
  return needs;
}
