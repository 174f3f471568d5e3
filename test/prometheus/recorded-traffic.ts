// Recorded Istio traffic between namespaces, as Prometheus would have scraped it from sidecars
// and ztunnel: every call reported by both ends (reporter source and destination), counters
// growing over the last hours, plus the noise real meshes have (unknown sources, calls within a
// namespace). Written as OpenMetrics for `promtool tsdb create-blocks-from openmetrics`.

import { type RecordedFamily, type RecordedSample, toOpenMetrics } from "./server.js";

export interface RecordedCall {
  from: string;
  to: string;
  /** HTTP requests per minute (istio_requests_total), reported by sidecars/waypoints. */
  requestsPerMinute?: number;
  /** TCP connections per minute (istio_tcp_connections_opened_total), reported by ztunnel/sidecars. */
  connectionsPerMinute?: number;
}

const FAMILIES: RecordedFamily[] = [
  { name: "istio_requests_total", type: "counter" },
  { name: "istio_tcp_connections_opened_total", type: "counter" },
  { name: "istio_tcp_sent_bytes_total", type: "counter" },
];

/** `minutes` of samples, one a minute, ending `endsAgoSeconds` before `now` (seconds). */
export function recordedTraffic(
  calls: readonly RecordedCall[],
  now: number,
  options: { minutes?: number; endsAgoSeconds?: number } = {},
): string {
  const minutes = options.minutes ?? 120;
  const end = now - (options.endsAgoSeconds ?? 600);
  const start = end - minutes * 60;
  const samples: RecordedSample[] = [];
  const series = (metric: string, labels: Record<string, string>, perMinute: number) => {
    for (let i = 0; i <= minutes; i++)
      samples.push({ metric, labels, value: perMinute * i, time: start + i * 60 });
  };
  const noise: RecordedCall[] = [
    { from: "unknown", to: calls[0]?.to ?? "x", requestsPerMinute: 5 },
    { from: calls[0]?.from ?? "x", to: calls[0]?.from ?? "x", requestsPerMinute: 50 },
  ];
  for (const call of [...calls, ...noise])
    for (const reporter of ["source", "destination"]) {
      const labels = {
        reporter,
        source_workload: `${call.from}-client`,
        source_workload_namespace: call.from,
        destination_service: `svc.${call.to}.svc.cluster.local`,
        destination_service_namespace: call.to,
        destination_workload_namespace: call.to,
      };
      if (call.requestsPerMinute)
        series("istio_requests_total", { ...labels, response_code: "200" }, call.requestsPerMinute);
      if (call.connectionsPerMinute) {
        series("istio_tcp_connections_opened_total", labels, call.connectionsPerMinute);
        series("istio_tcp_sent_bytes_total", labels, call.connectionsPerMinute * 1000);
      }
    }
  return toOpenMetrics(FAMILIES, samples);
}
