// Observed traffic between namespaces, read from Istio's standard metrics in Prometheus. Sidecars,
// gateways and waypoints report istio_requests_total; ztunnel and sidecars report istio_tcp_*.
// Each hop is reported by both ends (reporter source/destination/waypoint): summing per reporter
// and keeping the largest avoids counting a call twice.

import { byCodePoint } from "../inventory/model.js";
import { type PrometheusClient, parsePromDuration } from "../prometheus/client.js";
import type { ObservedEdge } from "./graph.js";

const FAMILIES = [
  { metric: "istio_requests_total", unit: "requests" },
  { metric: "istio_tcp_connections_opened_total", unit: "TCP connections" },
  { metric: "istio_tcp_sent_bytes_total", unit: "bytes sent over TCP" },
] as const;

const SRC = "source_workload_namespace";
const DST = "destination_service_namespace";

function observedQuery(metric: string, window: string): string {
  return `max by (${SRC}, ${DST}) (sum by (reporter, ${SRC}, ${DST}) (increase(${metric}{${SRC}!~"|unknown", ${DST}!~"|unknown"}[${window}]))) > 0`;
}

export async function observedEdges(
  client: PrometheusClient,
  window: string,
  at?: Date,
): Promise<ObservedEdge[]> {
  parsePromDuration(window); // a usage error before any request
  const edges = new Map<string, ObservedEdge>();
  for (const { metric, unit } of FAMILIES) {
    for (const sample of await client.query(observedQuery(metric, window), at)) {
      const from = sample.labels[SRC] ?? "";
      const to = sample.labels[DST] ?? "";
      if (!from || !to || from === to) continue;
      const key = `${from}\0${to}`;
      const edge = edges.get(key) ?? { from, to, what: [] };
      edge.what.push(`${Math.round(sample.value)} ${unit} in ${window}`);
      edges.set(key, edge);
    }
  }
  return [...edges.values()].sort((a, b) => byCodePoint(a.from, b.from) || byCodePoint(a.to, b.to));
}
