// What moving a namespace to ambient changes in its observability, as data the plan can show:
// metrics (reporter labels), scrape targets, traces. Pure: reads the inventory, changes nothing.

import { K } from "../inventory/kinds.js";
import type { Inventory } from "../inventory/model.js";
import { rootNamespaceOf } from "../mesh/mesh-config.js";
import { Reporter } from "./metrics.js";
import {
  type AppScrapeTarget,
  appScrapeTargets,
  coversNamespace,
  type MonitorFinding,
  monitorFindings,
} from "./scrape.js";
import { type TracingChanges, tracingChangesFor } from "./tracing.js";

export interface NamespaceObservabilityChanges {
  namespace: string;
  metrics: string[];
  /** Monitors that scrape this namespace through the sidecar. */
  brokenMonitors: MonitorFinding[];
  /** Apps whose own metrics must be scraped directly after migration. */
  apps: AppScrapeTarget[];
  /** STRICT mTLS: a Prometheus outside the mesh cannot reach the apps' metrics ports. */
  strictMtls: boolean;
  tracing: TracingChanges;
}

/** `rootNamespace`: as `--root-namespace` gives it; else the mesh config's. */
export function observabilityChangesFor(
  inventory: Inventory,
  namespace: string,
  rootNamespace?: string,
): NamespaceObservabilityChanges {
  const tracing = tracingChangesFor(inventory, namespace);
  const servicesWithoutWaypoint = Object.entries(tracing.waypointOf)
    .filter(([, w]) => w === undefined)
    .map(([s]) => s);
  const metrics = [
    `L7 metrics (istio_requests_total, istio_request_duration_milliseconds_*, request/response bytes and messages) come only from waypoints, with reporter="${Reporter.waypoint}"; reporter="${Reporter.source}"/"${Reporter.destination}" L7 series of this namespace stop.`,
    `TCP metrics (istio_tcp_*) come from ztunnel with reporter="${Reporter.source}" (outbound) and "${Reporter.destination}" (inbound); they rise, because HTTP connections now count as TCP too.`,
  ];
  if (servicesWithoutWaypoint.length > 0) {
    metrics.push(`L7 panels of services without a waypoint go empty: ${servicesWithoutWaypoint.join(", ")}.`);
  }
  return {
    namespace,
    metrics,
    brokenMonitors: monitorFindings(inventory).filter(
      (f) => f.reasons.length > 0 && coversNamespace(f, namespace),
    ),
    apps: appScrapeTargets(inventory, namespace),
    strictMtls: strictMtlsIn(inventory, namespace, rootNamespaceOf(inventory, rootNamespace)),
    tracing,
  };
}

/** The namespace's own selector-less PeerAuthentication wins over the mesh-wide one in the root namespace. */
function strictMtlsIn(inventory: Inventory, namespace: string, rootNamespace: string): boolean {
  for (const ns of [namespace, rootNamespace]) {
    const policy = inventory.inNamespace(K.PeerAuthentication, ns).find((pa) => !pa.spec?.selector);
    if (policy?.spec?.mtls?.mode) return policy.spec.mtls.mode === "STRICT";
  }
  return false;
}
