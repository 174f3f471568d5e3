// Step 5: which sidecar-era objects go and which stay, decided from the assessment's findings
// (one classification, made by the checks) plus what other kept objects still use.

import type { NamespaceContext } from "../assess/context.js";
import type { Finding, FindingCode } from "../assess/finding.js";
import { hasTrafficPolicy, serviceOfHost, subsetsUsedBy } from "../assess/routing.js";
import type { ObjectRef } from "../inventory/identity.js";
import { K } from "../inventory/kinds.js";
import type { Disposition } from "./model.js";

type Rule = (
  finding: Finding,
  ctx: NamespaceContext,
  keptSubsets: Set<string>,
) => ["delete" | "keep", string];

const DELETE_AFTER_RESTART =
  "sidecar-only; its replacement must target the waypoint, and ztunnel would mis-enforce it";

const RULES: Partial<Record<FindingCode, Rule>> = {
  "l7-policy-needs-waypoint": () => ["delete", `L7 selector policy: ${DELETE_AFTER_RESTART}`],
  "request-authentication-selector": () => [
    "delete",
    "L7 (JWT) on sidecars only: replaced by targetRefs on the waypoint",
  ],
  "wasm-plugin-selector": () => [
    "delete",
    "L7 (Wasm) on sidecars only: replaced by targetRefs on the waypoint",
  ],
  "virtual-service-mesh-route": (f, ctx) =>
    ctx.virtualServices().find((v) => v.object.metadata.name === f.name)?.binding === "mesh-and-ingress"
      ? ["keep", 'also bound to an ingress gateway: remove "mesh" from its gateways instead of deleting it']
      : ["delete", "mesh route: replaced by HTTPRoute on the waypoint"],
  "destination-rule-subsets": (f, ctx, keptSubsets) => {
    const dr = ctx.list(K.DestinationRule).find((d) => d.metadata.name === f.name);
    const svc = dr ? serviceOfHost(String(dr.spec?.host ?? ""), ctx.namespace) : undefined;
    if (dr && hasTrafficPolicy(dr))
      return ["keep", "its traffic policy still applies at waypoints and gateways"];
    if (svc && [...keptSubsets].some((s) => s.startsWith(`${svc.namespace}/${svc.name}/`)))
      return ["keep", "its subsets are used by a VirtualService that stays (ingress gateway)"];
    return ["delete", "subsets only: replaced by per-subset Services"];
  },
  "l4-policy-kept": () => ["keep", "L4 only: ztunnel enforces it correctly"],
  "l4-policy-caller-identity": () => [
    "keep",
    "L4: ztunnel enforces it, but behind the waypoint the caller is the waypoint (see its warning)",
  ],
  "peer-authentication-strict": () => ["keep", "STRICT mTLS: ztunnel enforces it"],
  "virtual-service-ingress-only": () => ["keep", "bound to ingress gateways only: not a mesh route"],
  "envoy-filter": () => ["keep", "inert for ambient pods; remove it once nothing else uses it"],
  "sidecar-resource": () => ["keep", "no effect in ambient mode; remove it once no sidecar remains"],
};

export function step5Dispositions(
  ctx: NamespaceContext,
  findings: readonly Finding[],
): { delete: Disposition[]; keep: Disposition[] } {
  const keptSubsets = new Set<string>();
  for (const { object, binding } of ctx.virtualServices())
    if (binding !== "mesh") for (const s of subsetsUsedBy(object)) keptSubsets.add(s);
  const out = { delete: [] as Disposition[], keep: [] as Disposition[] };
  const seen = new Set<string>();
  for (const finding of findings) {
    const rule = RULES[finding.code];
    const key = `${finding.apiVersion}/${finding.kind}/${finding.name}`;
    if (!rule || seen.has(key)) continue;
    seen.add(key);
    const [action, reason] = rule(finding, ctx, keptSubsets);
    const ref: ObjectRef = {
      apiVersion: finding.apiVersion,
      kind: finding.kind,
      namespace: finding.namespace,
      name: finding.name,
    };
    out[action].push({ ref, reason });
  }
  return out;
}
