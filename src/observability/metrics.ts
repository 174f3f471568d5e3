// Istio's metric families and reporter values, as istio/istio (pilot/pkg/model/telemetry.go)
// and istio/ztunnel (src/proxy/metrics.rs) emit them. See /work/shared/spec/telemetry.md.

/** L7 families: sidecars report them as source/destination, in ambient only waypoints do. */
const L7_FAMILIES = [
  "istio_requests_total",
  "istio_request_messages_total",
  "istio_response_messages_total",
] as const;

/** Histograms: their _bucket, _sum and _count series are L7 too. */
const L7_HISTOGRAMS = [
  "istio_request_duration_milliseconds",
  // Older releases' name, still queried as a fallback by Istio's Workload dashboard.
  "istio_request_duration_seconds",
  "istio_request_bytes",
  "istio_response_bytes",
] as const;

const L7_NAMES = new Set<string>([
  ...L7_FAMILIES,
  ...L7_HISTOGRAMS.flatMap((h) => [`${h}_bucket`, `${h}_sum`, `${h}_count`]),
]);

export type MetricFamilyKind = "l7" | "tcp" | "other";

export function metricFamilyKind(name: string): MetricFamilyKind {
  if (L7_NAMES.has(name)) return "l7";
  if (name.startsWith("istio_tcp_")) return "tcp";
  return "other";
}

export const REPORTER_LABEL = "reporter";

export const Reporter = {
  source: "source",
  destination: "destination",
  waypoint: "waypoint",
} as const;

/** The values sidecars report with; waypoints add `waypoint`. */
export const SIDECAR_REPORTERS = [Reporter.source, Reporter.destination] as const;

/** Scrape facts: istio/istio pkg/kube/inject/webhook.go (applyPrometheusMerge) and the charts. */
export const Scrape = {
  /** The agent's status port: merged app + proxy metrics with sidecars, proxy metrics on waypoints. */
  statusPort: 15020,
  /** Envoy's own Prometheus endpoint. */
  envoyPort: 15090,
  envoyPortName: "http-envoy-prom",
  mergedPath: "/stats/prometheus",
  /** Where the injector moved the pod's own prometheus.io/* values (JSON: scrape, path, port). */
  annotationsEnv: "ISTIO_PROMETHEUS_ANNOTATIONS",
  mergeAnnotation: "prometheus.istio.io/merge-metrics",
  scrapeAnnotation: "prometheus.io/scrape",
  portAnnotation: "prometheus.io/port",
  pathAnnotation: "prometheus.io/path",
  schemeAnnotation: "prometheus.io/scheme",
  ztunnelSelector: { app: "ztunnel" },
  ztunnelPortName: "ztunnel-stats",
  ztunnelPath: "/metrics",
  /** The waypoint template's istio-proxy port 15020. */
  waypointPortName: "metrics",
} as const;
