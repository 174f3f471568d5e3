// Scrape targets after migration. With sidecars, the injector moved a pod's prometheus.io/*
// annotations into ISTIO_PROMETHEUS_ANNOTATIONS and pointed scraping at the agent (15020
// /stats/prometheus), which served app and proxy metrics merged. Ambient has no merging: monitors
// that relied on the sidecar stop seeing anything, and ztunnel, waypoints and each app's own
// metrics port become separate targets. This module finds the former and generates the latter.

import { K } from "../inventory/kinds.js";
import { type Inventory, type KubeObject, labelsOf, ref } from "../inventory/model.js";
import { L, SIDECAR_CONTAINER, WAYPOINT_MANAGED_BY } from "../mesh/labels.js";
import { sidecarStateOf, type Workload, workloadsIn } from "../mesh/workloads.js";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../ownership.js";
import { Scrape } from "./metrics.js";

const MONITORING_API = "monitoring.coreos.com/v1";

export interface MonitorFinding {
  monitor: string;
  namespace: string;
  /** Why it stops working once pods lose their sidecar; empty when it does not depend on one. */
  reasons: string[];
  /** Namespaces it scrapes: "*" for any. */
  covers: string[] | "*";
}

export interface AppScrapeTarget {
  workload: string;
  namespace: string;
  port: string;
  path: string;
  scheme: string | undefined;
  /** Where the values were read: the pod's ISTIO_PROMETHEUS_ANNOTATIONS or the template's annotations. */
  from: "ISTIO_PROMETHEUS_ANNOTATIONS" | "annotations";
  /** The sidecar served these metrics merged on 15020; after migration they must be scraped directly. */
  mergedBySidecar: boolean;
  podLabels: Record<string, string>;
  containerPortName: string | undefined;
}

/** Monitors that relied on the sidecar: port 15020/15090, /stats/prometheus, or the istio-proxy container. */
export function monitorFindings(inventory: Inventory): MonitorFinding[] {
  const findings: MonitorFinding[] = [];
  for (const kind of [K.PodMonitor, K.ServiceMonitor] as const) {
    for (const m of inventory.list(kind)) {
      const endpoints: Record<string, unknown>[] =
        (kind === K.PodMonitor ? m.spec?.podMetricsEndpoints : m.spec?.endpoints) ?? [];
      const reasons = new Set<string>();
      for (const e of endpoints) {
        const port = String(e.port ?? e.targetPort ?? e.portNumber ?? "");
        if (port === String(Scrape.statusPort))
          reasons.add(`scrapes port ${Scrape.statusPort} (the sidecar agent)`);
        if (port === String(Scrape.envoyPort) || port === Scrape.envoyPortName)
          reasons.add("scrapes Envoy's port 15090");
        if (e.path === Scrape.mergedPath)
          reasons.add(`scrapes ${Scrape.mergedPath} (merged app + sidecar metrics)`);
        const relabel = JSON.stringify([e.relabelings ?? [], e.metricRelabelings ?? []]);
        if (relabel.includes(SIDECAR_CONTAINER)) reasons.add(`keeps only the ${SIDECAR_CONTAINER} container`);
      }
      const ns = m.spec?.namespaceSelector;
      const covers: MonitorFinding["covers"] =
        ns?.any === true
          ? "*"
          : Array.isArray(ns?.matchNames)
            ? ns.matchNames
            : [m.metadata.namespace ?? "default"];
      findings.push({
        monitor: ref(m),
        namespace: m.metadata.namespace ?? "",
        reasons: [...reasons],
        covers,
      });
    }
  }
  return findings;
}

export function coversNamespace(finding: MonitorFinding, namespace: string): boolean {
  return finding.covers === "*" || finding.covers.includes(namespace);
}

/** The apps of a namespace that expose their own metrics (prometheus.io/* or the sidecar's copy). */
export function appScrapeTargets(inventory: Inventory, namespace: string): AppScrapeTarget[] {
  const nsLabels = labelsOf(inventory.namespaceObject(namespace));
  const out: AppScrapeTarget[] = [];
  for (const w of workloadsIn(inventory, namespace)) {
    const found = scrapeConfigOf(w);
    if (!found || found.scrape === "false" || !found.port) continue;
    const merge = w.template.annotations[Scrape.mergeAnnotation] !== "false";
    const state = sidecarStateOf(w, nsLabels);
    out.push({
      workload: `${w.kind}/${w.name}`,
      namespace,
      port: found.port,
      path: found.path || "/metrics",
      scheme: w.template.annotations[Scrape.schemeAnnotation],
      from: found.from,
      mergedBySidecar: merge && state.carriesSidecar,
      podLabels: stableLabels(w.template.labels),
      containerPortName: containerPortName(w, found.port),
    });
  }
  return out;
}

interface ScrapeConfig {
  scrape?: string;
  path?: string;
  port?: string;
  from: AppScrapeTarget["from"];
}

function scrapeConfigOf(w: Workload): ScrapeConfig | undefined {
  // A running pod's sidecar holds the app's values; the pod's own annotations then point at 15020.
  for (const pod of w.pods) {
    const proxy = (pod.spec?.containers ?? []).find((c: { name?: string }) => c.name === SIDECAR_CONTAINER);
    const env = (proxy?.env ?? []).find((e: { name?: string }) => e.name === Scrape.annotationsEnv);
    if (env?.value) {
      try {
        return { ...(JSON.parse(env.value) as ScrapeConfig), from: "ISTIO_PROMETHEUS_ANNOTATIONS" };
      } catch {
        // fall through to the template's annotations
      }
    }
  }
  const a = w.template.annotations;
  if (a[Scrape.portAnnotation] === String(Scrape.statusPort)) return undefined; // already the agent's
  if (a[Scrape.scrapeAnnotation] === undefined && a[Scrape.portAnnotation] === undefined) return undefined;
  return {
    ...(a[Scrape.scrapeAnnotation] !== undefined ? { scrape: a[Scrape.scrapeAnnotation] } : {}),
    ...(a[Scrape.portAnnotation] !== undefined ? { port: a[Scrape.portAnnotation] } : {}),
    ...(a[Scrape.pathAnnotation] !== undefined ? { path: a[Scrape.pathAnnotation] } : {}),
    from: "annotations",
  };
}

function containerPortName(w: Workload, port: string): string | undefined {
  for (const c of (
    w.template.spec as { containers?: { ports?: { containerPort?: number; name?: string }[] }[] }
  )?.containers ?? []) {
    const p = (c.ports ?? []).find((p) => String(p.containerPort) === port);
    if (p?.name) return p.name;
  }
  return undefined;
}

/** Labels that select a workload's pods without tying the monitor to one rollout. */
function stableLabels(labels: Record<string, string>): Record<string, string> {
  const out = { ...labels };
  for (const volatile of ["pod-template-hash", "controller-revision-hash", "pod-template-generation"]) {
    delete out[volatile];
  }
  if (out.app !== undefined)
    return { app: out.app, ...(out.version !== undefined ? { version: out.version } : {}) };
  return out;
}

/**
 * The labels a Prometheus already selects monitors by: those every existing monitor carries
 * (kube-prometheus-stack's `release: <name>`, Istio's sample `release: istio`).
 */
export function sharedMonitorLabels(inventory: Inventory): Record<string, string> {
  const monitors = [...inventory.list(K.PodMonitor), ...inventory.list(K.ServiceMonitor)];
  if (monitors.length === 0) return {};
  const [first, ...rest] = monitors.map((m) => labelsOf(m));
  return Object.fromEntries(
    Object.entries(first ?? {}).filter(([k, v]) => rest.every((labels) => labels[k] === v)),
  );
}

export interface GeneratedMonitors {
  monitors: KubeObject[];
  notes: string[];
}

/** PodMonitors for ztunnel, waypoints and the apps of the given namespaces. */
export function generateMonitors(inventory: Inventory, namespaces: readonly string[]): GeneratedMonitors {
  const labels = sharedMonitorLabels(inventory);
  const notes: string[] = [];
  if (Object.keys(labels).length === 0) {
    notes.push(
      "no existing PodMonitor/ServiceMonitor to copy labels from: add the labels your Prometheus selects monitors by",
    );
  }
  const existing = inventory.list(K.PodMonitor);
  const selects = (key: string, value: string) =>
    existing.some((m) => m.spec?.selector?.matchLabels?.[key] === value);
  const monitors: KubeObject[] = [];
  const podMonitor = (name: string, namespace: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: MONITORING_API,
    kind: "PodMonitor",
    metadata: { name, namespace, labels: { ...labels, [MANAGED_BY_LABEL]: MANAGED_BY } },
    spec,
  });
  const ztunnelNs =
    inventory.list(K.DaemonSet).find((d) => d.metadata.name === "ztunnel")?.metadata.namespace ??
    "istio-system";
  if (!selects("app", Scrape.ztunnelSelector.app)) {
    monitors.push(
      podMonitor("ztunnel", ztunnelNs, {
        selector: { matchLabels: { ...Scrape.ztunnelSelector } },
        namespaceSelector: { matchNames: [ztunnelNs] },
        podMetricsEndpoints: [{ port: Scrape.ztunnelPortName, path: Scrape.ztunnelPath }],
      }),
    );
  } else notes.push("ztunnel: an existing PodMonitor already selects app=ztunnel");
  if (!selects(L.gatewayManaged, WAYPOINT_MANAGED_BY)) {
    monitors.push(
      podMonitor("waypoints", ztunnelNs, {
        selector: { matchLabels: { [L.gatewayManaged]: WAYPOINT_MANAGED_BY } },
        namespaceSelector: { any: true },
        podMetricsEndpoints: [{ port: Scrape.waypointPortName, path: Scrape.mergedPath }],
      }),
    );
  } else
    notes.push(
      `waypoints: an existing PodMonitor already selects ${L.gatewayManaged}=${WAYPOINT_MANAGED_BY}`,
    );
  for (const ns of namespaces) {
    for (const t of appScrapeTargets(inventory, ns)) {
      const endpoint: Record<string, unknown> = t.containerPortName
        ? { port: t.containerPortName, path: t.path }
        : { portNumber: Number(t.port), path: t.path };
      if (t.scheme) endpoint.scheme = t.scheme;
      if (!t.containerPortName) {
        notes.push(
          `${ns}/${t.workload}: container port ${t.port} has no name; the monitor uses portNumber (recent prometheus-operator), or name the port and use port:`,
        );
      }
      monitors.push(
        podMonitor(`${t.workload.split("/")[1]}-metrics`, ns, {
          selector: { matchLabels: t.podLabels },
          podMetricsEndpoints: [endpoint],
        }),
      );
    }
  }
  return { monitors, notes };
}
