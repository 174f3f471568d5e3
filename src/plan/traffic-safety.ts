// What the plan changes for traffic across namespaces (see assess/checks/traffic-safety.ts):
// step 1 labels ingress backends istio.io/ingress-use-waypoint=true, step 2 applies the tool's
// NetworkPolicies letting HBONE and rewritten probes in/out, and step 4 removes a migrated
// caller's service accounts from the bypass DENY policies that still exempt them. Pure.

import { ingressBackendsOf, parseBool } from "../assess/checks/traffic-safety.js";
import type { NamespaceContext } from "../assess/context.js";
import { stripServerFields } from "../backup/strip.js";
import { K } from "../inventory/kinds.js";
import { type Inventory, type KubeObject, labelsOf } from "../inventory/model.js";
import { L } from "../mesh/labels.js";
import { hasGaps, hboneAllowPolicy, hboneGaps, podSelectorMatches } from "../mesh/network-policy.js";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../ownership.js";
import { namespaceOfPrincipal } from "../waves/graph.js";

/** Services that step 1 labels: ingress backends with a cluster IP and no ingress-use-waypoint of their own. */
export function ingressLabelTargets(ctx: NamespaceContext): KubeObject[] {
  // An explicit value on the Service (even "false") is the user's; a namespace "true" already covers it.
  const nsValue = ctx.labels[L.ingressUseWaypoint];
  return ingressBackendsOf(ctx)
    .map((b) => b.service)
    .filter(
      (svc) =>
        labelsOf(svc)[L.ingressUseWaypoint] === undefined &&
        svc.spec?.clusterIP !== "None" &&
        parseBool(nsValue) !== true,
    );
}

/** The tool's NetworkPolicies for step 2, one per NetworkPolicy that shuts out HBONE or probes. */
export function hboneAllowPolicies(ctx: NamespaceContext): { object: KubeObject; reason: string }[] {
  const templates = ctx.workloads().map((w) => w.workload.template.labels);
  return ctx.list(K.NetworkPolicy).flatMap((np) => {
    const gaps = hboneGaps(np);
    if (!hasGaps(gaps) || !templates.some((labels) => podSelectorMatches(np, labels))) return [];
    const what = [
      ...(gaps.ingress ? ["HBONE (TCP 15008) in"] : []),
      ...(gaps.egress ? ["HBONE (TCP 15008) out"] : []),
      ...(gaps.probes ? ["kubelet probes from 169.254.7.127"] : []),
    ];
    return [
      {
        object: hboneAllowPolicy(np, gaps),
        reason: `NetworkPolicy ${np.metadata.name} lets no ${what.join(", ")}: allowed for the same pods`,
      },
    ];
  });
}

const BYPASS_SUFFIX = "-bypass-deny";

/**
 * The tool's waypoint-bypass DENY policies (translate --bypass-deny) of one namespace, or of the
 * whole inventory, with their exempt principals.
 */
function bypassDenyPolicies(
  inventory: Inventory,
  namespace?: string,
): { policy: KubeObject; exempt: string[] }[] {
  // One namespace's own policies only: status asks for every namespace in turn, and scanning
  // every policy of the cluster each time was quadratic in the number of namespaces.
  const policies =
    namespace === undefined
      ? inventory.list(K.AuthorizationPolicy)
      : inventory.inNamespace(K.AuthorizationPolicy, namespace);
  return policies
    .filter(
      (p) =>
        p.metadata.name.endsWith(BYPASS_SUFFIX) &&
        labelsOf(p)[MANAGED_BY_LABEL] === MANAGED_BY &&
        p.spec?.action === "DENY",
    )
    .map((policy) => ({ policy, exempt: exemptPrincipals(policy) }));
}

function exemptPrincipals(policy: KubeObject): string[] {
  const source = policy.spec?.rules?.[0]?.from?.[0]?.source as { notPrincipals?: string[] } | undefined;
  // The first entry is the waypoint's own identity: never a caller to remove.
  return (source?.notPrincipals ?? []).slice(1);
}

/**
 * Step 4 of a caller namespace: its pods are off their sidecars, so they now reach the policies'
 * pods through the waypoint. Every bypass DENY elsewhere that still exempts its service accounts
 * gets them removed (applied as a whole object; rollback applies the previous one).
 */
export function bypassShrinks(
  inventory: Inventory,
  namespace: string,
): { object: KubeObject; removed: string[]; reason: string }[] {
  return bypassDenyPolicies(inventory).flatMap(({ policy, exempt }) => {
    if (policy.metadata.namespace === namespace) return [];
    const removed = exempt.filter((p) => namespaceOfPrincipal(p) === namespace);
    if (removed.length === 0) return [];
    const object = stripServerFields(policy);
    const source = object.spec.rules[0].from[0].source as { notPrincipals: string[] };
    source.notPrincipals = source.notPrincipals.filter((p, i) => i === 0 || !removed.includes(p));
    return [
      {
        object,
        removed,
        reason: `${namespace} is off its sidecars: its callers now pass ${policy.metadata.namespace}'s waypoint, so ${removed.join(", ")} no longer need the bypass exemption`,
      },
    ];
  });
}

/** For `status`: which sidecar callers the bypass DENY policies of a namespace still exempt. */
export function bypassExemptions(inventory: Inventory, namespace: string): string[] {
  const callers = new Set<string>();
  for (const { exempt } of bypassDenyPolicies(inventory, namespace)) {
    for (const p of exempt) callers.add(namespaceOfPrincipal(p) ?? p);
  }
  return [...callers].sort();
}
