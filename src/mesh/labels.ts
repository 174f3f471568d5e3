// Label and annotation names that Istio and the CNI read. Spelled once, here.

export const L = {
  injection: "istio-injection",
  revision: "istio.io/rev",
  dataplaneMode: "istio.io/dataplane-mode",
  useWaypoint: "istio.io/use-waypoint",
  useWaypointNamespace: "istio.io/use-waypoint-namespace",
  waypointFor: "istio.io/waypoint-for",
  ingressUseWaypoint: "istio.io/ingress-use-waypoint",
  podInject: "sidecar.istio.io/inject",
  tunnel: "networking.istio.io/tunnel",
  gatewayManaged: "gateway.istio.io/managed",
  gatewayName: "gateway.networking.k8s.io/gateway-name",
} as const;

export const A = {
  sidecarStatus: "sidecar.istio.io/status",
  nativeSidecar: "sidecar.istio.io/nativeSidecar",
  redirection: "ambient.istio.io/redirection",
  spiffe: "spiffe.io/spire-managed-identity",
} as const;

export const DATAPLANE_AMBIENT = "ambient";
export const DEFAULT_WAYPOINT = "waypoint";
export const WAYPOINT_CLASS = "istio-waypoint";
export const WAYPOINT_MANAGED_BY = "istio.io-mesh-controller";
export const SIDECAR_CONTAINER = "istio-proxy";
export const SIDECAR_INIT_CONTAINERS = ["istio-init", "istio-validation"] as const;
export const HBONE_ENV = "ISTIO_META_ENABLE_HBONE";
