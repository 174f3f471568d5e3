// What the assessment decides for each sidecar-era object of a namespace, once: it goes once the
// translation replaces it (delete), or it stays (keep), and why. One disposition per object,
// decided from the code of the first finding a check made about it. FATES is total: a new finding
// code does not compile until it says whether it decides an object's fate (null: it does not).

import { type ObjectRef, objectAt, objectKey, refOf } from "../inventory/identity.js";
import type { KubeObject } from "../inventory/model.js";
import type { NamespaceContext } from "./context.js";
import type { Finding, FindingCode } from "./finding.js";
import { hasTrafficPolicy, serviceOfHost, subsetsUsedBy } from "./routing.js";

type Fate = "delete" | "keep";

export interface AssessedDisposition {
  ref: ObjectRef;
  /** delete: only once the translation replaces it (plan/dispositions.ts decides). */
  fate: Fate;
  reason: string;
  /** Why the object needs the namespace's waypoint (the plan creates and labels it from these). */
  waypoint?: string;
}

type Rule = (object: KubeObject, ctx: NamespaceContext, keptSubsets: ReadonlySet<string>) => [Fate, string];

const DELETE_AFTER_RESTART =
  "sidecar-only; its replacement must target the waypoint, and ztunnel would mis-enforce it";

const keep =
  (reason: string): Rule =>
  () => ["keep", reason];
const remove =
  (reason: string): Rule =>
  () => ["delete", reason];

export const FATES: Record<FindingCode, Rule | null> = {
  "invalid-object": null,
  "vm-workload-entry": null,
  "vm-workload-group": null,
  "spire-managed-workload": null,
  "peer-authentication-disable": null,
  "primary-remote-multicluster": null,
  "namespace-state": null,
  "namespace-object-missing": null,
  "multicluster-signal": null,
  "l7-policy-needs-waypoint": remove(`L7 selector policy: ${DELETE_AFTER_RESTART}`),
  "l4-policy-kept": keep("L4 only: ztunnel enforces it correctly"),
  "l4-policy-caller-identity": keep(
    "L4: ztunnel enforces it, but behind the waypoint the caller is the waypoint (see its warning)",
  ),
  "request-authentication-selector": remove(
    "L7 (JWT) on sidecars only: replaced by targetRefs on the waypoint",
  ),
  "wasm-plugin-selector": remove("L7 (Wasm) on sidecars only: replaced by targetRefs on the waypoint"),
  "envoy-filter": keep("inert for ambient pods; remove it once nothing else uses it"),
  "sidecar-resource": keep("no effect in ambient mode; remove it once no sidecar remains"),
  "peer-authentication-strict": keep("STRICT mTLS: ztunnel enforces it"),
  "virtual-service-mesh-route": (vs, ctx) =>
    ctx.virtualServices().find((v) => v.object === vs)?.binding === "mesh-and-ingress"
      ? ["keep", 'also bound to an ingress gateway: remove "mesh" from its gateways instead of deleting it']
      : ["delete", "mesh route: replaced by HTTPRoute on the waypoint"],
  "virtual-service-ingress-only": keep("bound to ingress gateways only: not a mesh route"),
  "virtual-service-unsupported-feature": null,
  "destination-rule-subsets": (dr, ctx, keptSubsets) => {
    const svc = serviceOfHost(String(dr.spec?.host ?? ""), ctx.namespace);
    if (hasTrafficPolicy(dr)) return ["keep", "its traffic policy still applies at waypoints and gateways"];
    if (svc && [...keptSubsets].some((s) => s.startsWith(`${svc.namespace}/${svc.name}/`)))
      return ["keep", "its subsets are used by a VirtualService that stays (ingress gateway)"];
    return ["delete", "subsets only: replaced by per-subset Services"];
  },
  "template-forces-injection": null,
  "native-sidecar": null,
  "sidecar-not-hbone": null,
  "host-network-pod": null,
  "sidecar-workload-rollout-restart": null,
  "sidecar-workload-manual-restart": null,
  "ingress-bypasses-waypoint": null,
  "network-policy-blocks-hbone": null,
  "sidecar-callers-bypass-waypoint": null,
  "headless-service-sidecar-callers": null,
  "port-level-mtls-permissive": null,
  "service-entry-export-to": null,
  "gitops-managed": null,
};

/** An object in ambient form already (a targetRefs policy, a GAMMA route) that the waypoint serves. */
const SERVED_BY_WAYPOINT = "already in ambient form: the waypoint serves it";

/**
 * One disposition per object a namespace finding with a fate names, in the findings' order, then
 * one per object that needs the waypoint without such a finding (kept). Each object that needs
 * the waypoint says why: the plan decides the waypoint from these alone.
 */
export function assessedDispositions(
  ctx: NamespaceContext,
  findings: readonly Finding[],
): AssessedDisposition[] {
  const keptSubsets = new Set<string>();
  for (const { object, binding } of ctx.virtualServices())
    if (binding !== "mesh") for (const s of subsetsUsedBy(object)) keptSubsets.add(s);
  const out: AssessedDisposition[] = [];
  const seen = new Set<string>();
  for (const finding of findings) {
    const rule = FATES[finding.code];
    if (!rule || finding.scope !== "namespace" || finding.namespace !== ctx.namespace) continue;
    const ref: ObjectRef = {
      apiVersion: finding.apiVersion,
      kind: finding.kind,
      namespace: finding.namespace,
      name: finding.name,
    };
    const key = objectKey(ref);
    const object = objectAt(ctx.inventory, ref);
    if (!object || seen.has(key)) continue;
    seen.add(key);
    const [fate, reason] = rule(object, ctx, keptSubsets);
    out.push({ ref, fate, reason });
  }
  const byKey = new Map(out.map((d) => [objectKey(d.ref), d]));
  for (const need of ctx.waypointNeeds()) {
    const found = byKey.get(objectKey(need.object));
    if (found) found.waypoint ??= need.reason;
    else {
      const d: AssessedDisposition = {
        ref: refOf(need.object),
        fate: "keep",
        reason: SERVED_BY_WAYPOINT,
        waypoint: need.reason,
      };
      byKey.set(objectKey(need.object), d);
      out.push(d);
    }
  }
  return out;
}
