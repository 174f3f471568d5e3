// The kinds the migration reads, with what a live reader needs to list them.
// Keys follow kubectl's "Kind.group" form ("Pod" for the core group), because the short
// kind alone is ambiguous once both Istio and Gateway API CRDs exist (Gateway).

export interface KindInfo {
  group: string; // "" for the core group
  kind: string;
  plural: string;
  /** Preferred version to list with; readers of files accept any version. */
  version: string;
  namespaced: boolean;
  /** Why the migration cares; shown by `ambient-migrate kinds`. */
  role: string;
}

export function kindKey(group: string, kind: string): string {
  return group === "" ? kind : `${kind}.${group}`;
}

/** API groups Kubernetes serves from its own types (not from CRDs), among those KINDS lists. */
const BUILT_IN_GROUPS = new Set(["", "apps", "batch", "networking.k8s.io"]);

export function isBuiltIn(group: string): boolean {
  return BUILT_IN_GROUPS.has(group);
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

const k = (
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  role: string,
): KindInfo => ({ group, version, kind, plural, namespaced, role });

const ISTIO_NET = "networking.istio.io";
const ISTIO_SEC = "security.istio.io";
const GATEWAY = "gateway.networking.k8s.io";
const MONITORING = "monitoring.coreos.com";

export const KINDS: readonly KindInfo[] = [
  k("", "v1", "Namespace", "namespaces", false, "injection and dataplane-mode labels"),
  k("", "v1", "Pod", "pods", true, "sidecars, enrolment, bare pods"),
  k("", "v1", "Service", "services", true, "use-waypoint labels, subset Services, route parents"),
  k("", "v1", "ConfigMap", "configmaps", true, "Grafana dashboards carried in ConfigMaps"),
  k("apps", "v1", "Deployment", "deployments", true, "workloads to restart"),
  k("apps", "v1", "StatefulSet", "statefulsets", true, "workloads to restart"),
  k("apps", "v1", "DaemonSet", "daemonsets", true, "workloads to restart; ztunnel and istio-cni"),
  k("apps", "v1", "ReplicaSet", "replicasets", true, "workloads not owned by a Deployment"),
  k("batch", "v1", "Job", "jobs", true, "sidecar Jobs"),
  k("batch", "v1", "CronJob", "cronjobs", true, "sidecar CronJobs"),
  k(
    "networking.k8s.io",
    "v1",
    "NetworkPolicy",
    "networkpolicies",
    true,
    "must let HBONE (15008) and probes in",
  ),
  k(ISTIO_NET, "v1", "VirtualService", "virtualservices", true, "routing to translate to HTTPRoute"),
  k(ISTIO_NET, "v1", "DestinationRule", "destinationrules", true, "subsets and traffic policies"),
  k(ISTIO_NET, "v1", "Gateway", "gateways", true, "Istio ingress/egress gateways"),
  k(ISTIO_NET, "v1", "ServiceEntry", "serviceentries", true, "external hosts, route parents"),
  k(ISTIO_NET, "v1", "WorkloadEntry", "workloadentries", true, "VM workloads (blocker)"),
  k(ISTIO_NET, "v1", "WorkloadGroup", "workloadgroups", true, "VM workloads (blocker)"),
  k(ISTIO_NET, "v1", "Sidecar", "sidecars", true, "no effect in ambient"),
  k(ISTIO_NET, "v1alpha3", "EnvoyFilter", "envoyfilters", true, "not supported on waypoints"),
  k(ISTIO_SEC, "v1", "AuthorizationPolicy", "authorizationpolicies", true, "L4/L7 policy split"),
  k(ISTIO_SEC, "v1", "PeerAuthentication", "peerauthentications", true, "mTLS mode (DISABLE blocks)"),
  k(ISTIO_SEC, "v1", "RequestAuthentication", "requestauthentications", true, "JWT, needs a waypoint"),
  k("extensions.istio.io", "v1alpha1", "WasmPlugin", "wasmplugins", true, "needs a waypoint"),
  k("telemetry.istio.io", "v1", "Telemetry", "telemetries", true, "telemetry configuration"),
  k(GATEWAY, "v1", "Gateway", "gateways", true, "waypoints and ingress gateways"),
  k(GATEWAY, "v1", "GatewayClass", "gatewayclasses", false, "istio-waypoint class"),
  k(GATEWAY, "v1", "HTTPRoute", "httproutes", true, "ambient routing"),
  k(GATEWAY, "v1", "GRPCRoute", "grpcroutes", true, "ambient routing"),
  k(GATEWAY, "v1alpha2", "TCPRoute", "tcproutes", true, "ambient routing"),
  k(GATEWAY, "v1alpha2", "TLSRoute", "tlsroutes", true, "ambient routing"),
  k(GATEWAY, "v1beta1", "ReferenceGrant", "referencegrants", true, "cross-namespace references"),
  k(MONITORING, "v1", "PodMonitor", "podmonitors", true, "scrape targets"),
  k(MONITORING, "v1", "ServiceMonitor", "servicemonitors", true, "scrape targets"),
  k(MONITORING, "v1", "PrometheusRule", "prometheusrules", true, "alert and recording rules"),
];

const BY_KEY = new Map(KINDS.map((info) => [kindKey(info.group, info.kind), info]));

/** The kind an object of this apiVersion/kind is, or undefined when the migration ignores it. */
export function lookupKind(apiVersion: string, kind: string): KindInfo | undefined {
  return BY_KEY.get(kindKey(groupOf(apiVersion), kind));
}

/** Kind keys, spelled once here so that every part of the tool uses the same ones. */
export const K = {
  Namespace: "Namespace",
  Pod: "Pod",
  Service: "Service",
  ConfigMap: "ConfigMap",
  Deployment: "Deployment.apps",
  StatefulSet: "StatefulSet.apps",
  DaemonSet: "DaemonSet.apps",
  ReplicaSet: "ReplicaSet.apps",
  Job: "Job.batch",
  CronJob: "CronJob.batch",
  NetworkPolicy: "NetworkPolicy.networking.k8s.io",
  VirtualService: `VirtualService.${ISTIO_NET}`,
  DestinationRule: `DestinationRule.${ISTIO_NET}`,
  IstioGateway: `Gateway.${ISTIO_NET}`,
  ServiceEntry: `ServiceEntry.${ISTIO_NET}`,
  WorkloadEntry: `WorkloadEntry.${ISTIO_NET}`,
  WorkloadGroup: `WorkloadGroup.${ISTIO_NET}`,
  Sidecar: `Sidecar.${ISTIO_NET}`,
  EnvoyFilter: `EnvoyFilter.${ISTIO_NET}`,
  AuthorizationPolicy: `AuthorizationPolicy.${ISTIO_SEC}`,
  PeerAuthentication: `PeerAuthentication.${ISTIO_SEC}`,
  RequestAuthentication: `RequestAuthentication.${ISTIO_SEC}`,
  WasmPlugin: "WasmPlugin.extensions.istio.io",
  Telemetry: "Telemetry.telemetry.istio.io",
  Gateway: `Gateway.${GATEWAY}`,
  GatewayClass: `GatewayClass.${GATEWAY}`,
  HTTPRoute: `HTTPRoute.${GATEWAY}`,
  GRPCRoute: `GRPCRoute.${GATEWAY}`,
  TCPRoute: `TCPRoute.${GATEWAY}`,
  TLSRoute: `TLSRoute.${GATEWAY}`,
  ReferenceGrant: `ReferenceGrant.${GATEWAY}`,
  PodMonitor: `PodMonitor.${MONITORING}`,
  ServiceMonitor: `ServiceMonitor.${MONITORING}`,
  PrometheusRule: `PrometheusRule.${MONITORING}`,
} as const;

export type KnownKindKey = (typeof K)[keyof typeof K];

export function kindInfo(key: KnownKindKey): KindInfo {
  const info = BY_KEY.get(key);
  if (!info) throw new Error(`kind ${key} is not registered in KINDS`);
  return info;
}
