// What changes in traces when a namespace moves to ambient. Sidecars emit two spans per hop
// (client and server); ztunnel emits none; a waypoint emits one span per request it handles.

import { K } from "../inventory/kinds.js";
import { type Inventory, labelsOf, ref } from "../inventory/model.js";
import { L } from "../mesh/labels.js";
import { isWaypoint, namespaceWaypointRef } from "../mesh/waypoint.js";

/** Metric names that come from spans (OpenTelemetry spanmetrics/servicegraph connectors, Tempo). */
const SPAN_METRIC = /traces_spanmetrics_|traces_service_graph_|spanmetrics|\bspan_|_spans?_/i;

export function isSpanMetricExpression(expression: string): boolean {
  return SPAN_METRIC.test(expression);
}

export interface TracingChanges {
  /** Services of the namespace and the waypoint each will use, or undefined for none. */
  waypointOf: Record<string, string | undefined>;
  lines: string[];
}

export function tracingChangesFor(inventory: Inventory, namespace: string): TracingChanges {
  const nsRef = namespaceWaypointRef(namespace, labelsOf(inventory.namespaceObject(namespace)));
  const waypointOf: Record<string, string | undefined> = {};
  for (const svc of inventory.inNamespace(K.Service, namespace)) {
    const own = labelsOf(svc)[L.useWaypoint];
    const chosen =
      own === "none"
        ? undefined
        : own
          ? `${labelsOf(svc)[L.useWaypointNamespace] ?? namespace}/${own}`
          : nsRef.labelled
            ? `${nsRef.namespace}/${nsRef.name}`
            : undefined;
    waypointOf[svc.metadata.name] = chosen;
  }
  const gateways = inventory.inNamespace(K.Gateway, namespace).filter(isWaypoint);
  const withWaypoint = Object.entries(waypointOf)
    .filter(([, w]) => w !== undefined)
    .map(([s]) => s);
  const without = Object.entries(waypointOf)
    .filter(([, w]) => w === undefined)
    .map(([s]) => s);
  const lines = ["sidecar mode: two spans per hop, one from the client's sidecar and one from the server's."];
  if (withWaypoint.length > 0) {
    lines.push(
      `through a waypoint (${withWaypoint.join(", ")}): one span per request, from the waypoint; client-side spans disappear, so span counts per request halve and span names/kinds change.`,
    );
  }
  if (without.length > 0) {
    lines.push(
      `without a waypoint (${without.join(", ")}): no spans from the mesh at all (ztunnel does not trace); only spans the applications emit themselves remain.`,
    );
  }
  if (withWaypoint.length === 0 && gateways.length > 0) {
    lines.push(
      `waypoint Gateway(s) ${gateways.map(ref).join(", ")} exist but nothing in ${namespace} uses them yet (label ${L.useWaypoint}).`,
    );
  }
  for (const t of inventory.inNamespace(K.Telemetry, namespace)) {
    if (t.spec?.tracing) {
      lines.push(
        `${ref(t)} configures tracing: in ambient it only reaches waypoints, and a workload selector must become targetRefs to the waypoint.`,
      );
    }
  }
  lines.push(
    "revisit trace-based SLOs and alerts: span counts, span-derived rates (spanmetrics) and service graphs change with the spans above.",
  );
  return { waypointOf, lines };
}
