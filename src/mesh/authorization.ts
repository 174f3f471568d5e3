// istiod's split of an AuthorizationPolicy between ztunnel (L4) and a waypoint (L7), as in
// istio/istio pilot/pkg/serviceregistry/ambient/authorization.go (convertAuthorizationPolicy,
// handleRule, l4WhenAttributes). Every other part of the tool asks here; none re-derives it.

const L4_WHEN_KEYS = new Set([
  "source.ip",
  "source.namespace",
  "source.principal",
  "destination.ip",
  "destination.port",
]);

const L7_OPERATION_FIELDS = ["hosts", "notHosts", "methods", "notMethods", "paths", "notPaths"] as const;
const L7_SOURCE_FIELDS = [
  "remoteIpBlocks",
  "notRemoteIpBlocks",
  "requestPrincipals",
  "notRequestPrincipals",
] as const;
/** Source fields that name the caller: behind a waypoint ztunnel sees the waypoint as caller. */
const IDENTITY_SOURCE_FIELDS = [
  "principals",
  "notPrincipals",
  "namespaces",
  "notNamespaces",
  "serviceAccounts",
  "notServiceAccounts",
] as const;
const IDENTITY_WHEN_KEYS = new Set(["source.principal", "source.namespace"]);

type PolicyAction = "ALLOW" | "DENY" | "AUDIT" | "CUSTOM";

export interface PolicyClassification {
  action: PolicyAction;
  /** Attached with spec.selector (workload selector) or namespace-wide (neither). */
  attachment: "selector" | "targetRefs" | "namespace";
  /** Which fields make it L7, e.g. ["methods", "when:request.headers[x-user]"]; empty for L4. */
  l7Fields: string[];
  /** Needs a waypoint to be enforced as written (L7 fields, or action CUSTOM/AUDIT). */
  needsWaypoint: boolean;
  /** Matches on the caller's identity (principals, namespaces...). */
  keyedOnCallerIdentity: boolean;
  /** What ztunnel does with it if it stays selector-based in an ambient namespace. */
  ztunnelEffect: "enforced" | "dropped-deny-all" | "broadened-deny" | "rejected" | "not-for-ztunnel";
}

// biome-ignore lint/suspicious/noExplicitAny: raw AuthorizationPolicy spec
export function classifyAuthorizationPolicy(spec: any): PolicyClassification {
  const action = ((spec?.action as string | undefined) ?? "ALLOW") as PolicyAction;
  const hasTargetRefs = Array.isArray(spec?.targetRefs) && spec.targetRefs.length > 0;
  const hasTargetRef = spec?.targetRef !== undefined && spec?.targetRef !== null;
  const attachment = hasTargetRefs || hasTargetRef ? "targetRefs" : spec?.selector ? "selector" : "namespace";
  const l7 = new Set<string>();
  let identity = false;
  for (const rule of (spec?.rules ?? []) as unknown[]) {
    // biome-ignore lint/suspicious/noExplicitAny: raw rule
    const r = rule as any;
    for (const from of r?.from ?? []) {
      for (const field of L7_SOURCE_FIELDS) if (nonEmpty(from?.source?.[field])) l7.add(field);
      for (const field of IDENTITY_SOURCE_FIELDS) if (nonEmpty(from?.source?.[field])) identity = true;
    }
    for (const to of r?.to ?? []) {
      for (const field of L7_OPERATION_FIELDS) if (nonEmpty(to?.operation?.[field])) l7.add(field);
    }
    for (const when of r?.when ?? []) {
      const key = String(when?.key ?? "");
      if (!L4_WHEN_KEYS.has(key)) l7.add(`when:${key}`);
      if (IDENTITY_WHEN_KEYS.has(key)) identity = true;
    }
  }
  const l7Fields = [...l7].sort();
  const needsWaypoint = l7Fields.length > 0 || action === "CUSTOM" || action === "AUDIT";
  let ztunnelEffect: PolicyClassification["ztunnelEffect"];
  if (attachment === "targetRefs") ztunnelEffect = "not-for-ztunnel";
  else if (action === "CUSTOM" || action === "AUDIT") ztunnelEffect = "rejected";
  else if (l7Fields.length === 0) ztunnelEffect = "enforced";
  else ztunnelEffect = action === "ALLOW" ? "dropped-deny-all" : "broadened-deny";
  return { action, attachment, l7Fields, needsWaypoint, keyedOnCallerIdentity: identity, ztunnelEffect };
}

function nonEmpty(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : value !== undefined && value !== null;
}

/** RequestAuthentication and WasmPlugin are always L7: with a selector they need a waypoint. */
// biome-ignore lint/suspicious/noExplicitAny: raw spec
export function attachmentOf(spec: any): "selector" | "targetRefs" | "namespace" {
  if ((Array.isArray(spec?.targetRefs) && spec.targetRefs.length > 0) || spec?.targetRef) return "targetRefs";
  return spec?.selector ? "selector" : "namespace";
}
