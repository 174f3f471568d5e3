// verify-routes: for each Service of a namespace that translated HTTPRoutes attach to, the route
// table a sidecar client receives from istiod (the VirtualService's routes) against the one the
// waypoint receives (the HTTPRoutes' routes), both read from the proxies' own /config_dump.
// Cluster I/O is confined to reading the dumps; everything else is pure.

import { AmbientMigrateError, ExitCode } from "../errors.js";
import { K } from "../inventory/kinds.js";
import { type Inventory, type KubeObject, labelsOf } from "../inventory/model.js";
import { L } from "../mesh/labels.js";
import { sidecarFacts } from "../mesh/sidecar.js";
import { namespaceWaypointRef } from "../mesh/waypoint.js";
import { compareTables, type RequestOutcome } from "./compare.js";
import type { Route } from "./envoy.js";
import { inventoryResolver } from "./resolve.js";
import { type RouteConfigs, routeConfigs, routeSource, sidecarTable, waypointTable } from "./tables.js";

const ENVOY_ADMIN_PORT = 15000;
const CONFIG_DUMP = "/config_dump";

export interface PodRef {
  namespace: string;
  name: string;
}

/** Reads a proxy's /config_dump; the CLI passes one that port-forwards through the apiserver. */
export type DumpReader = (pod: PodRef) => Promise<unknown>;

interface ServicePort {
  namespace: string;
  name: string;
  port: number;
  fqdn: string;
}

export interface ServiceVerdict extends ServicePort {
  /** "same", "different" or "unverified" (a table could not be read; problems says why). */
  result: "same" | "different" | "unverified";
  sidecarFrom?: string;
  sidecarTable?: string;
  waypointFrom?: string;
  waypointTable?: string;
  /** The names of the routes read (as `istioctl proxy-config routes` shows them), in order. */
  sidecarRoutes?: string[];
  waypointRoutes?: string[];
  /** Routes of user VirtualServices left out of the waypoint's table: step 5 deletes them. */
  waypointRoutesDropped?: number;
  requests: RequestOutcome[];
  problems: string[];
}

export interface VerifyReport {
  namespace: string;
  services: ServiceVerdict[];
  /** Requests compared, and those decided differently. */
  requests: number;
  differences: number;
  passed: boolean;
}

const key = (p: PodRef) => `${p.namespace}/${p.name}`;

function running(p: KubeObject): boolean {
  return p.status?.phase === "Running" && !p.metadata.deletionTimestamp;
}

/** The Services (and ports) HTTPRoutes of the namespace attach to as GAMMA parents. */
function routedServices(inventory: Inventory, namespace: string): ServicePort[] {
  const out = new Map<string, ServicePort>();
  for (const route of inventory.inNamespace(K.HTTPRoute, namespace)) {
    // biome-ignore lint/suspicious/noExplicitAny: raw parentRefs
    for (const parent of (route.spec?.parentRefs ?? []) as any[]) {
      if (parent.kind !== "Service" || (parent.group ?? "") !== "") continue;
      const ns = parent.namespace ?? namespace;
      const svc = inventory.get(K.Service, ns, parent.name);
      // biome-ignore lint/suspicious/noExplicitAny: raw Service ports
      const ports: number[] = ((svc?.spec?.ports ?? []) as any[]).map((p) => p.port as number);
      for (const port of parent.port ? [parent.port as number] : ports) {
        const fqdn = `${parent.name}.${ns}.svc.cluster.local`;
        out.set(`${fqdn}:${port}`, { namespace: ns, name: parent.name, port, fqdn });
      }
    }
  }
  return [...out.values()].sort((a, b) => (a.fqdn < b.fqdn ? -1 : a.fqdn > b.fqdn ? 1 : a.port - b.port));
}

/** The waypoint pods serving a Service: its own istio.io/use-waypoint label, else its namespace's. */
function waypointPods(inventory: Inventory, svc: ServicePort): PodRef[] {
  const service = inventory.get(K.Service, svc.namespace, svc.name);
  const labels = labelsOf(service);
  const ref =
    labels[L.useWaypoint] !== undefined
      ? namespaceWaypointRef(svc.namespace, labels)
      : namespaceWaypointRef(svc.namespace, labelsOf(inventory.namespaceObject(svc.namespace)));
  if (!ref.labelled) return [];
  return inventory
    .inNamespace(K.Pod, ref.namespace)
    .filter((p) => labelsOf(p)["gateway.networking.k8s.io/gateway-name"] === ref.name && running(p))
    .map((p) => ({ namespace: ref.namespace, name: p.metadata.name }));
}

/** The running pods with a sidecar, as references. */
export function runningSidecars(pods: readonly KubeObject[]): PodRef[] {
  return pods
    .filter((p) => running(p) && sidecarFacts(p.spec, p.metadata.annotations ?? {}).hasSidecar)
    .map((p) => ({ namespace: p.metadata.namespace as string, name: p.metadata.name }));
}

/**
 * Sidecar clients to read, in order: --from (a pod "ns/name" or "name", or a namespace), else
 * the namespace's own sidecar pods, then sidecar pods elsewhere.
 */
function sidecarCandidates(inventory: Inventory, namespace: string, from?: string): PodRef[] {
  const sidecars = runningSidecars(inventory.list(K.Pod));
  if (from) {
    const [ns, name] = from.includes("/") ? from.split("/", 2) : [undefined, from];
    const pod = sidecars.filter(
      (p) => p.name === name && (ns === undefined ? p.namespace === namespace : p.namespace === ns),
    );
    if (pod.length > 0) return pod;
    const inNs = sidecars.filter((p) => p.namespace === from);
    if (inNs.length > 0) return inNs;
    throw new AmbientMigrateError(
      `--from ${from}: no running pod with a sidecar by that name (in ${ns ?? namespace}), and no namespace with one`,
      ExitCode.notFound,
      "name a pod with a sidecar (NAME or NAMESPACE/NAME) or a namespace that has one",
    );
  }
  const own = sidecars.filter((p) => p.namespace === namespace);
  return [...own, ...sidecars.filter((p) => p.namespace !== namespace)];
}

/** Whether a user VirtualService routes the host (then the sidecar reference must be its routes). */
function hasVirtualService(inventory: Inventory, svc: ServicePort): boolean {
  const names = [svc.fqdn, svc.name, `${svc.name}.${svc.namespace}`, `${svc.name}.${svc.namespace}.svc`];
  return inventory.list(K.VirtualService).some((vs) => {
    const hosts = (vs.spec?.hosts ?? []) as string[];
    const local = vs.metadata.namespace === svc.namespace;
    return hosts.some((h) => h === svc.fqdn || (local && names.includes(h)));
  });
}

const FOLLOWS_ROUTE = "this sidecar (and its namespace) already follows the translated HTTPRoute";

/** A sidecar table is a reference when it holds what sidecars did before: the VirtualService's routes. */
function referenceProblem(routes: readonly Route[], wantVirtualService: boolean): string | undefined {
  const kinds = new Set(routes.map((r) => routeSource(r).kind));
  if (kinds.has("http-route")) return FOLLOWS_ROUTE;
  if (wantVirtualService && !kinds.has("virtual-service"))
    return "this sidecar does not see the VirtualService";
  return undefined;
}

export interface VerifyOptions {
  from?: string;
  /** Sidecar routes recorded earlier (step 1): the first reference tried, before live sidecars. */
  reference?: { from: string; routes: RouteConfigs };
  /** How many sidecar clients to try before giving up on a reference table. */
  maxSidecars?: number;
}

export async function verifyRoutes(
  inventory: Inventory,
  namespace: string,
  readDump: DumpReader,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const services = routedServices(inventory, namespace);
  const resolve = inventoryResolver(inventory);
  const dumps = new Map<string, Promise<RouteConfigs | string>>();
  const configsOf = (pod: PodRef) => {
    let d = dumps.get(key(pod));
    if (!d) {
      d = readDump(pod).then(
        (dump) => routeConfigs(dump),
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      );
      dumps.set(key(pod), d);
    }
    return d;
  };
  const candidates = services.length > 0 ? sidecarCandidates(inventory, namespace, options.from) : [];
  const maxSidecars = options.maxSidecars ?? 5;

  const verdicts: ServiceVerdict[] = [];
  for (const svc of services) {
    const v: ServiceVerdict = { ...svc, result: "unverified", requests: [], problems: [] };
    verdicts.push(v);
    // The waypoint's table, without the user VirtualService routes step 5 deletes (istiod puts
    // the converted HTTPRoutes of its own namespace first, so the order of the rest is kept).
    let waypointRoutes: Route[] | undefined;
    const wps = waypointPods(inventory, svc);
    if (wps.length === 0)
      v.problems.push("no running waypoint pod serves this Service (run migrate --to-step 1 first)");
    for (const wp of wps.slice(0, 1)) {
      const configs = await configsOf(wp);
      if (typeof configs === "string") {
        v.problems.push(`waypoint ${key(wp)}: ${configs}`);
        continue;
      }
      const table = waypointTable(configs, svc.fqdn, svc.port);
      if (!table) {
        v.problems.push(
          `waypoint ${key(wp)} has no route config ${svc.fqdn}:${svc.port} (not an HTTP port?)`,
        );
        continue;
      }
      const translated = table.routes.some((r) => routeSource(r).kind === "http-route");
      waypointRoutes = translated
        ? table.routes.filter((r) => routeSource(r).kind !== "virtual-service")
        : table.routes;
      v.waypointFrom = key(wp);
      v.waypointTable = `${table.config} / ${table.vhost}`;
      v.waypointRoutes = waypointRoutes.map((r) => r.name ?? "");
      v.waypointRoutesDropped = table.routes.length - waypointRoutes.length;
    }
    // The sidecar's: the first client whose table still holds the VirtualService's routes.
    let sidecarRoutes: Route[] | undefined;
    const wantVs = hasVirtualService(inventory, svc);
    const skipped: string[] = [];
    // Converted HTTPRoutes are chosen per client namespace: one such pod rules out its namespace.
    const followsRoute = new Set<string>();
    let tried = 0;
    if (options.reference) {
      const table = sidecarTable(options.reference.routes, svc.fqdn, svc.port);
      const problem = table ? referenceProblem(table.routes, wantVs) : "no route for this Service";
      if (table && !problem) {
        sidecarRoutes = table.routes;
        v.sidecarFrom = options.reference.from;
        v.sidecarTable = `${table.config} / ${table.vhost}`;
        v.sidecarRoutes = table.routes.map((r) => r.name ?? "");
      } else skipped.push(`${options.reference.from}: ${problem}`);
    }
    for (const pod of sidecarRoutes ? [] : candidates) {
      if (followsRoute.has(pod.namespace)) continue;
      if (tried++ >= maxSidecars) break;
      const configs = await configsOf(pod);
      if (typeof configs === "string") {
        skipped.push(`${key(pod)}: ${configs}`);
        continue;
      }
      const table = sidecarTable(configs, svc.fqdn, svc.port);
      if (!table) {
        skipped.push(`${key(pod)}: no route for ${svc.fqdn}:${svc.port}`);
        continue;
      }
      const problem = referenceProblem(table.routes, wantVs);
      if (problem === FOLLOWS_ROUTE) followsRoute.add(pod.namespace);
      if (problem) {
        skipped.push(`${key(pod)}: ${problem}`);
        continue;
      }
      sidecarRoutes = table.routes;
      v.sidecarFrom = key(pod);
      v.sidecarTable = `${table.config} / ${table.vhost}`;
      v.sidecarRoutes = table.routes.map((r) => r.name ?? "");
      break;
    }
    if (!sidecarRoutes)
      v.problems.push(
        candidates.length === 0
          ? "no running pod with a sidecar to read the sidecar routes from"
          : `no sidecar client shows the routes sidecars had (${skipped.join("; ")}); name one with --from`,
      );
    if (!sidecarRoutes || !waypointRoutes) continue;
    v.requests = compareTables(sidecarRoutes, waypointRoutes, `${svc.fqdn}:${svc.port}`, resolve);
    v.result = v.requests.some((r) => r.differs.length > 0) ? "different" : "same";
  }
  const requests = verdicts.reduce((n, v) => n + v.requests.length, 0);
  const differences = verdicts.reduce((n, v) => n + v.requests.filter((r) => r.differs.length > 0).length, 0);
  return {
    namespace,
    services: verdicts,
    requests,
    differences,
    passed: verdicts.every((v) => v.result === "same"),
  };
}

/** A DumpReader over the cluster port: GET :15000/config_dump through the apiserver, as istioctl does. */
export function clusterDumpReader(port: {
  portForwardGet(
    pod: PodRef,
    port: number,
    path: string,
  ): Promise<{ status: number; body: string; via: string }>;
}): DumpReader {
  return async (pod) => {
    const answer = await port.portForwardGet(pod, ENVOY_ADMIN_PORT, CONFIG_DUMP);
    if (answer.status !== 200)
      throw new Error(
        `GET :${ENVOY_ADMIN_PORT}${CONFIG_DUMP} answered HTTP ${answer.status} (${answer.via})`,
      );
    try {
      return JSON.parse(answer.body) as unknown;
    } catch {
      throw new Error(`GET :${ENVOY_ADMIN_PORT}${CONFIG_DUMP} is not JSON (${answer.via})`);
    }
  };
}
