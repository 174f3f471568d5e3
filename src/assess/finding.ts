// A finding: one thing in the mesh that blocks, complicates or informs the migration of a
// namespace. Codes are stable (scripts filter on them) and each has one fixed severity, listed
// once in FINDING_CODES; docs/findings.md documents the same list (a test keeps them in sync).

export type Severity = "blocker" | "warning" | "info";

interface FindingCodeInfo {
  severity: Severity;
  /** One line for docs and `--help`-like listings. */
  summary: string;
}

const blocker = (summary: string): FindingCodeInfo => ({ severity: "blocker", summary });
const warning = (summary: string): FindingCodeInfo => ({ severity: "warning", summary });
const info = (summary: string): FindingCodeInfo => ({ severity: "info", summary });

export const FINDING_CODES = {
  // Input the tool cannot reason about.
  "invalid-object": blocker(
    "an object does not match its kind's schema: it is neither translated nor deleted",
  ),
  // Hard blockers from Istio's guide.
  "vm-workload-entry": blocker("a WorkloadEntry (VM workload) lives in the namespace"),
  "vm-workload-group": blocker("a WorkloadGroup (VM workloads) lives in the namespace"),
  "spire-managed-workload": blocker("a workload gets its identity from SPIRE"),
  "peer-authentication-disable": blocker("a PeerAuthentication disables mTLS (mode or a port)"),
  "primary-remote-multicluster": blocker("the control plane shows signs of a primary-remote install"),
  // Namespace facts.
  "namespace-state": info("where the namespace stands: not meshed, sidecar, between steps, ambient"),
  "namespace-object-missing": warning("objects name a namespace whose Namespace object is not in the input"),
  "multicluster-signal": warning("a label or value hints at a multi-cluster or multi-network mesh"),
  // Policies.
  "l7-policy-needs-waypoint": warning("an AuthorizationPolicy needs a waypoint (L7 fields, CUSTOM or AUDIT)"),
  "l4-policy-kept": info("a selector AuthorizationPolicy with L4 rules only: ztunnel enforces it, keep it"),
  "l4-policy-caller-identity": warning(
    "an L4 policy matches on the caller's identity; behind a waypoint the caller is the waypoint",
  ),
  "request-authentication-selector": warning(
    "a RequestAuthentication with a workload selector needs a waypoint",
  ),
  "wasm-plugin-selector": warning("a WasmPlugin with a workload selector needs a waypoint"),
  "envoy-filter": warning("an EnvoyFilter: not applied by ztunnel and not supported on waypoints"),
  "sidecar-resource": warning("a Sidecar resource: it has no effect in ambient mode"),
  "peer-authentication-strict": info("a STRICT PeerAuthentication: ztunnel still enforces it, keep it"),
  // Routing.
  "virtual-service-mesh-route": warning(
    "a VirtualService routes mesh traffic: it needs an HTTPRoute and a waypoint",
  ),
  "virtual-service-ingress-only": info(
    "a VirtualService bound only to ingress gateways: not a mesh route, keep it",
  ),
  "virtual-service-unsupported-feature": warning("a VirtualService uses a feature HTTPRoute cannot express"),
  "destination-rule-subsets": warning("a DestinationRule defines subsets: each needs its own Service"),
  // Workloads.
  "template-forces-injection": warning("a pod template asks for a sidecar itself: it survives step 3"),
  "native-sidecar": info("pods run istio-proxy as a native sidecar (init container)"),
  "sidecar-not-hbone": warning(
    "a sidecar does not speak HBONE: ambient peers cannot reach it during the migration",
  ),
  "host-network-pod": info("a hostNetwork workload: neither injected nor captured by ambient"),
  "sidecar-workload-rollout-restart": info(
    "a StatefulSet or DaemonSet with sidecars: restarted by rollout restart",
  ),
  "sidecar-workload-manual-restart": warning("a workload with sidecars that rollout restart cannot renew"),
  // Traffic across namespaces.
  "ingress-bypasses-waypoint": warning(
    "an ingress gateway routes to a Service that gets a waypoint: without istio.io/ingress-use-waypoint it skips it",
  ),
  "network-policy-blocks-hbone": warning(
    "a NetworkPolicy lets no HBONE (TCP 15008) in or out, or blocks kubelet probes from 169.254.7.127",
  ),
  "sidecar-callers-bypass-waypoint": warning(
    "namespaces still on sidecars call this one: their requests skip its waypoint's L7 policies",
  ),
  "headless-service-sidecar-callers": warning(
    "a headless Service: sidecar clients cannot send HBONE to its ambient pods (plaintext instead)",
  ),
  "port-level-mtls-permissive": warning("a port-level PERMISSIVE or UNSET under a STRICT default"),
  "service-entry-export-to": info(
    "ztunnel ignores a ServiceEntry's exportTo; egress that relied on sidecars changes",
  ),
  // Who else writes the cluster.
  "gitops-managed": warning(
    "Argo CD, Flux or Helm owns the namespace or object: they put back what the migration changes",
  ),
} as const satisfies Record<string, FindingCodeInfo>;

export type FindingCode = keyof typeof FINDING_CODES;

export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** "mesh" findings (control plane, root namespace) concern every namespace. */
  scope: "namespace" | "mesh";
  namespace: string;
  kind: string;
  apiVersion: string;
  name: string;
  message: string;
  remedy: string;
  /** file:line of the object, when it was read from files. */
  origin?: string;
}

export const SEVERITY_ORDER: Record<Severity, number> = { blocker: 0, warning: 1, info: 2 };
