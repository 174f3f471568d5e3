// AuthorizationPolicies by istiod's L4/L7 split (mesh/authorization.ts): what ztunnel would do
// with each selector or namespace-wide policy once the namespace is ambient, and which ones
// must move to the waypoint.

import type { PolicyClassification } from "../../mesh/authorization.js";
import type { NamespaceCheck } from "../check.js";
import type { NamespaceContext } from "../context.js";

const ZTUNNEL_EFFECT: Record<PolicyClassification["ztunnelEffect"], string> = {
  "dropped-deny-all":
    "ztunnel drops the ALLOW rules it cannot read, so requests this policy allowed are denied (deny-all if it is the only ALLOW policy)",
  "broadened-deny": "ztunnel enforces this DENY without its L7 conditions, so it denies more than before",
  rejected: "ztunnel rejects CUSTOM and AUDIT policies: they are not enforced at all without a waypoint",
  enforced: "ztunnel enforces it",
  "not-for-ztunnel": "it targets a waypoint or Service already",
};

export function waypointPhrase(ctx: NamespaceContext): string {
  const w = ctx.waypoint();
  return w.exists
    ? `waypoint ${w.name} exists in ${w.namespace}`
    : `no waypoint in ${w.namespace} yet: the plan creates Gateway ${w.name} (class istio-waypoint) in step 1`;
}

export const authorizationPolicies: NamespaceCheck = (ctx) =>
  ctx.authorizationPolicies().flatMap(({ object, policy }) => {
    if (policy.attachment === "targetRefs") return [];
    const name = object.metadata.name;
    const scope = policy.attachment === "selector" ? "selector" : "namespace-wide";
    if (policy.needsWaypoint) {
      const why =
        policy.l7Fields.length > 0 ? `L7 fields ${policy.l7Fields.join(", ")}` : `action ${policy.action}`;
      return [
        ctx.finding(
          "l7-policy-needs-waypoint",
          object,
          `${policy.action} ${scope} policy ${name} needs a waypoint (${why}); ${ZTUNNEL_EFFECT[policy.ztunnelEffect]}; ${waypointPhrase(ctx)}`,
          `write its equivalent with targetRefs to the waypoint (or the Services behind it) before step 1, and delete ${name} in step 5 right after step 4`,
        ),
      ];
    }
    if (policy.keyedOnCallerIdentity && ctx.usesWaypoint()) {
      return [
        ctx.finding(
          "l4-policy-caller-identity",
          object,
          `${policy.action} ${scope} policy ${name} matches on the caller's identity, but traffic to this namespace's Services will pass through a waypoint, so ztunnel sees the waypoint's identity as the caller`,
          `enforce the caller check at the waypoint (targetRefs), or allow the waypoint's service account in ${name}`,
        ),
      ];
    }
    if (policy.attachment === "selector") {
      return [
        ctx.finding(
          "l4-policy-kept",
          object,
          `${policy.action} selector policy ${name} has L4 rules only; ztunnel enforces it`,
          "keep it",
        ),
      ];
    }
    return [];
  });
