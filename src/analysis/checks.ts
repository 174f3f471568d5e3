// From an analysis to the checks of one namespace: user metrics templated per Service where they
// name {{service}}, and the default SLO, whose queries survive the reporter change: L7 series
// from sidecars (reporter="destination") and from waypoints (reporter="waypoint") both match, and
// a Service without a waypoint, whose L7 series end when its pods leave their sidecars (step 4),
// is judged from then on by ztunnel's TCP series only.

import {
  type Analysis,
  BEFORE_MIGRATION,
  type Check,
  type DefaultSloSettings,
  type MetricSpec,
  type ServiceTarget,
} from "./model.js";
import { fillTemplate, templateVariables } from "./template.js";

/** Before step 4 the pods still have their sidecars (step 4 restarts them). */
const SIDECAR_STEPS = [BEFORE_MIGRATION, 1, 2, 3];
const AMBIENT_STEPS = [4, 5, 6];

function l7Selector(namespace: string, service: string): string {
  return `reporter=~"destination|waypoint",destination_service_namespace="${namespace}",destination_service_name="${service}"`;
}

/** The default SLO's metrics for one Service (queries already filled in). */
function defaultSloMetrics(
  namespace: string,
  service: ServiceTarget,
  slo: DefaultSloSettings,
  measurement: Analysis["measurement"],
): MetricSpec[] {
  const w = slo.rateWindow;
  const l7 = l7Selector(namespace, service.name);
  const tcp = `destination_service_namespace="${namespace}",destination_service_name="${service.name}"`;
  const common = { ...measurement, failureLimit: 0, inconclusiveLimit: 0 };
  const l7Steps = service.waypoint ? {} : { steps: SIDECAR_STEPS };
  const l7Note = service.waypoint
    ? "behind a waypoint: L7 series from the sidecars (reporter=destination), then from the waypoint (reporter=waypoint)"
    : "no waypoint: L7 series from the sidecars until step 4; from step 4 on, judged on ztunnel's TCP series only";
  const metrics: MetricSpec[] = [
    {
      name: "success-rate",
      query:
        `1 - ((sum(rate(istio_requests_total{${l7},response_code=~"5.."}[${w}])) or vector(0))` +
        ` / sum(rate(istio_requests_total{${l7}}[${w}])))`,
      successCondition: `result >= ${slo.minSuccessRate}`,
      baseline: false,
      ...common,
      ...l7Steps,
      note: l7Note,
    },
    {
      name: "p99-latency",
      query: `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${l7}}[${w}])))`,
      thresholdRange: { max: slo.maxLatencyFactor, relative: true },
      baseline: true,
      ...common,
      ...l7Steps,
      note: l7Note,
    },
  ];
  if (!service.waypoint)
    metrics.push({
      name: "tcp-failures",
      // ztunnel counts a failed connection as closed with response_flags CONNECT or DENY.
      query:
        `(sum(rate(istio_tcp_connections_closed_total{${tcp},response_flags!="-"}[${w}])) or vector(0))` +
        ` / sum(rate(istio_tcp_connections_closed_total{${tcp}}[${w}]))`,
      successCondition: `result <= ${slo.maxTcpFailureRate}`,
      baseline: false,
      ...common,
      steps: AMBIENT_STEPS,
      note: "no waypoint: from step 4 on, ztunnel's TCP series are the only telemetry of this Service",
    });
  return metrics;
}

/** Every check of the analysis for one namespace, in the order they are reported. */
export function checksFor(
  analysis: Analysis,
  namespace: string,
  services: readonly ServiceTarget[],
): Check[] {
  const checks: Check[] = [];
  for (const metric of analysis.metrics) {
    if (templateVariables(metric.query).has("service")) {
      for (const s of services)
        checks.push({
          ...metric,
          key: `${metric.name}/${s.name}`,
          service: s.name,
          query: fillTemplate(metric.query, { namespace, service: s.name }),
        });
    } else {
      checks.push({ ...metric, key: metric.name, query: fillTemplate(metric.query, { namespace }) });
    }
  }
  if (analysis.defaultSlo)
    for (const s of services)
      for (const metric of defaultSloMetrics(namespace, s, analysis.defaultSlo, analysis.measurement))
        checks.push({ ...metric, key: `${metric.name}/${s.name}`, service: s.name });
  return checks;
}

/** The checks judged after `step` (BEFORE_MIGRATION: the baseline and after a rollback). */
export function checksAt(checks: readonly Check[], step: number): Check[] {
  return checks.filter((c) => !c.steps || c.steps.includes(step));
}
