// istiod accepted the routes and policies attached to the waypoint.

import type { ObjectRef } from "../inventory/identity.js";
import { groupOf, lookupKind } from "../inventory/kinds.js";
import type { KubeObject } from "../inventory/model.js";
import { kubectlTarget } from "../kubectl.js";
import type { GateHandler } from "./handler.js";
import { conditionTrue, watchEach } from "./observe.js";

/** istiod accepted the objects (HTTPRoute Accepted, AuthorizationPolicy WaypointAccepted). */
export interface PoliciesAcceptedGate {
  type: "policies-accepted";
  targets: ObjectRef[];
}

/** istiod's verdicts: HTTPRoute parents Accepted; AuthorizationPolicy WaypointAccepted. */
function accepted(o: KubeObject): boolean {
  if (o.kind === "HTTPRoute" || o.kind === "GRPCRoute")
    return ((o.status?.parents ?? []) as { conditions?: unknown }[]).some((p) =>
      conditionTrue(p.conditions, "Accepted"),
    );
  if (groupOf(o.apiVersion) === "security.istio.io")
    return conditionTrue(o.status?.conditions, "WaypointAccepted");
  return true;
}

export const policiesAccepted: GateHandler<PoliciesAcceptedGate> = {
  describe: (gate) => `istiod accepted ${gate.targets.map((t) => `${t.kind}/${t.name}`).join(", ")}`,
  verify: (gate) =>
    gate.targets.map((t) =>
      t.kind === "HTTPRoute"
        ? `kubectl get ${kubectlTarget(t)} -o jsonpath='{.status.parents[*].conditions[?(@.type=="Accepted")].status}'  # True`
        : `kubectl get ${kubectlTarget(t)} -o jsonpath='{.status.conditions[?(@.type=="WaypointAccepted")].status}'  # True`,
    ),
  observe: (gate, ctx) =>
    watchEach(
      ctx,
      gate.targets,
      (t) => lookupKind(t.apiVersion, t.kind),
      (o) => (accepted(o) ? undefined : "not accepted by istiod yet"),
      (t) => `${t.kind}/${t.name} accepted`,
      policiesAccepted.describe(gate),
      "skip",
    ),
};
