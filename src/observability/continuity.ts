// Metric continuity after migration (`observability --verify`): which series the dashboards
// now depend on, per namespace, as PromQL that returns a series when they exist. Pure: the
// expectations come from the namespace's objects; src/observability/verify.ts asks Prometheus.
//
// - A Service behind a waypoint: L7 series with reporter="waypoint" (only waypoints report L7 in
//   ambient).
// - An ambient workload: ztunnel's TCP series. ztunnel reports istio_tcp_* with reporter
//   "source"/"destination" (istio/ztunnel src/proxy/metrics.rs), waypoints with "waypoint"; once
//   a workload has no sidecar left, "source"/"destination" TCP series naming it are ztunnel's.
// - An app with its own metrics port: its series scraped from its own pods (the generated
//   PodMonitor `<workload>-metrics`, or any scrape config that labels by namespace and pod),
//   not through the sidecar's merged endpoint, which is gone.

import { K } from "../inventory/kinds.js";
import { type Inventory, type KubeObject, labelsOf } from "../inventory/model.js";
import { DATAPLANE_AMBIENT, L } from "../mesh/labels.js";
import { sidecarStateOf, type Workload, workloadsIn } from "../mesh/workloads.js";
import { appScrapeTargets } from "./scrape.js";

type ExpectationKind = "waypoint-l7" | "ztunnel-tcp" | "app-metrics";

export interface SeriesExpectation {
  namespace: string;
  kind: ExpectationKind;
  /** Service/NAME or Kind/NAME of the workload. */
  subject: string;
  /** PromQL that returns at least one sample with a value above 0 when the series exist. */
  query: string;
  /** Why the dashboards expect these series. */
  why: string;
}

export interface NamespaceExpectations {
  namespace: string;
  expectations: SeriesExpectation[];
  /** What is not expected and why (e.g. a workload still on sidecars). */
  notes: string[];
}

/** A label value inside a PromQL double-quoted string. */
function quote(value: string): string {
  return JSON.stringify(value);
}

/** An RE2 alternation of literal names (pod names may hold dots). */
function literalAlternation(names: readonly string[]): string {
  return names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
}

const running = (pod: KubeObject) => pod.status?.phase === "Running" && !pod.metadata.deletionTimestamp;

/** The waypoint a Service's traffic goes through, from its own label or the namespace's ("none" opts out). */
function serviceWaypoint(
  serviceLabels: Record<string, string>,
  nsLabels: Record<string, string>,
): string | undefined {
  const own = serviceLabels[L.useWaypoint];
  const name = own ?? nsLabels[L.useWaypoint];
  return name === undefined || name === "none" ? undefined : name;
}

function isAmbientWorkload(w: Workload, nsLabels: Record<string, string>, live: boolean): boolean {
  const state = sidecarStateOf(w, nsLabels);
  if (live) return state.podsRedirected > 0 && state.podsWithSidecar === 0;
  const mode = w.template.labels[L.dataplaneMode] ?? nsLabels[L.dataplaneMode];
  return mode === DATAPLANE_AMBIENT && !state.carriesSidecar;
}

/** What the dashboards expect of one namespace after its migration. */
export function continuityExpectations(inventory: Inventory, namespace: string): NamespaceExpectations {
  const nsLabels = labelsOf(inventory.namespaceObject(namespace));
  const live = inventory.source.type === "cluster";
  const ns = quote(namespace);
  const expectations: SeriesExpectation[] = [];
  const notes: string[] = [];

  for (const svc of inventory.inNamespace(K.Service, namespace)) {
    const labels = labelsOf(svc);
    // Waypoints' own Services and selector-less Services have no workload of the namespace behind them.
    if (labels[L.gatewayName] || Object.keys(svc.spec?.selector ?? {}).length === 0) continue;
    const waypoint = serviceWaypoint(labels, nsLabels);
    if (!waypoint) continue;
    const name = svc.metadata.name;
    expectations.push({
      namespace,
      kind: "waypoint-l7",
      subject: `Service/${name}`,
      query: `count(istio_requests_total{reporter="waypoint",destination_service_namespace=${ns},destination_service_name=${quote(name)}})`,
      why: `behind waypoint ${waypoint}: its L7 series now come from the waypoint only`,
    });
  }

  const workloads = workloadsIn(inventory, namespace);
  for (const w of workloads) {
    // A waypoint or gateway is a proxy, not a workload ztunnel carries traffic for.
    if (w.template.labels[L.gatewayName]) continue;
    const subject = `${w.kind}/${w.name}`;
    if (live && !w.pods.some(running)) {
      notes.push(`${subject}: no running pod, so no series to expect`);
      continue;
    }
    if (!isAmbientWorkload(w, nsLabels, live)) {
      notes.push(
        `${subject}: not in ambient mode${live ? " (a pod still has its sidecar or is not redirected by the CNI)" : ""}; no ztunnel series expected`,
      );
      continue;
    }
    const workload = quote(w.name);
    const tcp = (side: "source" | "destination") =>
      `count(istio_tcp_connections_opened_total{reporter=~"source|destination",${side}_workload_namespace=${ns},${side}_workload=${workload}})`;
    expectations.push({
      namespace,
      kind: "ztunnel-tcp",
      subject,
      query: `${tcp("destination")} or ${tcp("source")}`,
      why: "ambient: ztunnel reports its connections (istio_tcp_*, reporter source/destination)",
    });
  }

  const byName = new Map(workloads.map((w) => [`${w.kind}/${w.name}`, w]));
  for (const target of appScrapeTargets(inventory, namespace)) {
    const w = byName.get(target.workload);
    const pods = (w?.pods ?? []).filter(running);
    if (live && pods.length === 0) continue; // noted above
    const podMatch = live
      ? `pod=~${quote(literalAlternation(pods.map((p) => p.metadata.name)))}`
      : `pod=~${quote(`${literalAlternation([w?.name ?? target.workload.split("/")[1] ?? ""])}-.+`)}`;
    const monitor = `PodMonitor ${namespace}/${target.workload.split("/")[1]}-metrics`;
    expectations.push({
      namespace,
      kind: "app-metrics",
      subject: target.workload,
      // Its own series: not Prometheus' per-target series, not a proxy's.
      query: `count({namespace=${ns},${podMatch},__name__!~"up|scrape_.+|istio_.+|envoy_.+"})`,
      why: `its metrics (port ${target.port}, ${target.path}) are scraped from the pods directly (${monitor}, written by observability --output-dir or --apply)`,
    });
  }
  return { namespace, expectations, notes };
}
