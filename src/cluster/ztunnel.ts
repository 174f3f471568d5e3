// ztunnel's own view of the mesh, read the way `istioctl ztunnel-config workloads` reads it:
// port-forward to one Ready ztunnel pod's admin port 15000 (bound to localhost in the pod) and
// GET /config_dump. Step 2's gate reads it: a namespace is ambient when ztunnel lists its
// workloads with protocol HBONE *without* nativeTunnel (a sidecar that speaks HBONE shows
// HBONE too, but with nativeTunnel: true; see procedure.md section 2).

import { setTimeout as sleep } from "node:timers/promises";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { K, kindInfo } from "../inventory/kinds.js";
import type { KubeObject } from "../inventory/model.js";
import type { ClusterPort } from "./port.js";

export const ZTUNNEL_ADMIN_PORT = 15000;
export const CONFIG_DUMP_PATH = "/config_dump";

export interface ZtunnelWorkload {
  name: string;
  namespace: string;
  /** "HBONE" or "TCP". */
  protocol: string;
  /** The workload speaks HBONE itself (an HBONE-capable sidecar), so ztunnel does not capture it. */
  nativeTunnel: boolean;
  node: string;
  /** The waypoint's Service name (or its address when no Service matches). */
  waypoint?: string;
  /** "Healthy" or "Unhealthy". */
  status: string;
  uid: string;
}

interface RawWorkload {
  uid?: string;
  name?: string;
  namespace?: string;
  protocol?: string;
  nativeTunnel?: boolean;
  node?: string;
  status?: string;
  waypoint?: { destination?: string };
}

interface RawService {
  name?: string;
  namespace?: string;
  hostname?: string;
  vips?: string[];
}

/** Newer ztunnels dump arrays; older ones maps keyed by uid or address (istioctl reads both). */
function listOrMap<T>(value: unknown): T[] {
  if (Array.isArray(value)) return value as T[];
  if (value && typeof value === "object") return Object.values(value) as T[];
  return [];
}

/** istioctl's waypointName: the Service whose "namespace/hostname" or a VIP is the destination. */
function waypointName(destination: string, services: RawService[]): string {
  const match = services.find(
    (s) => `${s.namespace}/${s.hostname}` === destination || (s.vips ?? []).includes(destination),
  );
  return match?.name ?? destination;
}

export class ZtunnelConfig {
  private readonly byNamespace = new Map<string, ZtunnelWorkload[]>();

  constructor(
    readonly workloads: readonly ZtunnelWorkload[],
    /** Which pod answered, and how (port-forward or proxy). */
    readonly source: string,
  ) {
    for (const w of workloads) {
      const list = this.byNamespace.get(w.namespace);
      if (list) list.push(w);
      else this.byNamespace.set(w.namespace, [w]);
    }
  }

  workloadsIn(namespace: string): ZtunnelWorkload[] {
    return this.byNamespace.get(namespace) ?? [];
  }
}

export function parseConfigDump(text: string, source = "config_dump"): ZtunnelConfig {
  let dump: Record<string, unknown>;
  try {
    dump = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new AmbientMigrateError(
      `ztunnel's ${CONFIG_DUMP_PATH} from ${source} is not JSON: ${(err as Error).message}`,
      ExitCode.verificationFailed,
      "check the ztunnel version; ambient-migrate reads the config_dump format of ztunnel 1.22 and later",
    );
  }
  const services = listOrMap<RawService>(dump.services);
  const workloads = listOrMap<RawWorkload>(dump.workloads)
    .filter((w) => w && typeof w === "object")
    .map((w): ZtunnelWorkload => {
      const out: ZtunnelWorkload = {
        name: w.name ?? "",
        namespace: w.namespace ?? "",
        protocol: w.protocol ?? "TCP",
        nativeTunnel: w.nativeTunnel === true,
        node: w.node ?? "",
        status: w.status ?? "",
        uid: w.uid ?? "",
      };
      if (w.waypoint?.destination) out.waypoint = waypointName(w.waypoint.destination, services);
      return out;
    })
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  return new ZtunnelConfig(workloads, source);
}

/** Captured by ztunnel: HBONE that ztunnel terminates, not a sidecar's own HBONE. */
export function capturedByZtunnel(w: ZtunnelWorkload): boolean {
  return w.protocol === "HBONE" && !w.nativeTunnel;
}

function isZtunnel(ds: KubeObject): boolean {
  return ds.metadata.labels?.app === "ztunnel" || ds.metadata.name === "ztunnel";
}

function ready(pod: KubeObject): boolean {
  const conditions = (pod.status?.conditions ?? []) as { type?: string; status?: string }[];
  return (
    pod.status?.phase === "Running" &&
    !pod.metadata.deletionTimestamp &&
    conditions.some((c) => c.type === "Ready" && c.status === "True")
  );
}

function selectorOf(ds: KubeObject): string {
  const labels = (ds.spec?.selector?.matchLabels ?? {}) as Record<string, string>;
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** The ztunnel DaemonSet, wherever it runs (istio-system, ztunnel on Sail/OpenShift, ...). */
export async function findZtunnelDaemonSet(port: ClusterPort): Promise<KubeObject> {
  const daemonSets = (await port.list(kindInfo(K.DaemonSet))).items.filter(isZtunnel);
  const daemonSet =
    daemonSets.find((d) => d.metadata.labels?.app === "ztunnel") ??
    daemonSets.find((d) => d.metadata.name === "ztunnel");
  if (!daemonSet)
    throw new ZtunnelMissing(
      "no ztunnel DaemonSet in the cluster (looked for label app=ztunnel or name ztunnel in every namespace)",
    );
  return daemonSet;
}

/** "ztunnel-a (Running, Ready=False: NodeNotReady)": what kept a pod from being Ready. */
function podState(pod: KubeObject): string {
  const conditions = (pod.status?.conditions ?? []) as { type?: string; status?: string; reason?: string }[];
  const readyCondition = conditions.find((c) => c.type === "Ready");
  const state = [
    pod.metadata.deletionTimestamp ? "terminating" : (pod.status?.phase ?? "no phase"),
    readyCondition
      ? `Ready=${readyCondition.status}${readyCondition.reason ? `: ${readyCondition.reason}` : ""}`
      : "no Ready condition",
  ];
  return `${pod.metadata.name} (${state.join(", ")})`;
}

/** The ztunnel DaemonSet and one of its Ready pods (the first by name, so reads are stable). */
async function findZtunnel(port: ClusterPort): Promise<{ daemonSet: KubeObject; pod: KubeObject }> {
  const daemonSet = await findZtunnelDaemonSet(port);
  const namespace = daemonSet.metadata.namespace as string;
  const selector = selectorOf(daemonSet);
  const pods = (await port.list(kindInfo(K.Pod), namespace, selector ? { labelSelector: selector } : {}))
    .items;
  const where = `the ztunnel DaemonSet ${namespace}/${daemonSet.metadata.name}`;
  const check = `kubectl -n ${namespace} get pods -l ${selector || "app=ztunnel"}`;
  if (pods.length === 0) throw new ZtunnelMissing(`${where} has no pod`, check);
  const pod = pods.filter(ready).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))[0];
  if (!pod)
    throw new ZtunnelNotReady(`${where} has no Ready pod yet: ${pods.map(podState).join(", ")}`, check);
  return { daemonSet, pod };
}

/** No ztunnel to read: no DaemonSet, or a DaemonSet without pods (exit 8, what to install). */
export class ZtunnelMissing extends AmbientMigrateError {
  constructor(message: string, check?: string) {
    super(
      message,
      ExitCode.prerequisiteMissing,
      check
        ? `check the DaemonSet's pods and events: ${check}`
        : "install Istio's ambient components first: istioctl install --set profile=ambient, or helm install ztunnel istio/ztunnel -n istio-system",
    );
  }
}

/**
 * ztunnel's pods exist and none is Ready, e.g. while its nodes come back after a control-plane
 * restart. Gates wait on it like any other pending state, and fail at their timeout with it.
 */
export class ZtunnelNotReady extends AmbientMigrateError {
  constructor(message: string, check: string) {
    super(message, ExitCode.verificationFailed, `check the pods and their events: ${check}`);
  }
}

/** A ztunnel pod whose admin endpoint could not be read, even after retries. */
export class ZtunnelUnreadable extends AmbientMigrateError {
  constructor(
    readonly pod: string,
    readonly reason: string,
  ) {
    super(
      `ztunnel pod ${pod} could not be read (${CONFIG_DUMP_PATH} on port ${ZTUNNEL_ADMIN_PORT}): ${reason}`,
      ExitCode.verificationFailed,
      `check the pod and its admin port: kubectl -n ${pod.split("/")[0]} port-forward ${pod.split("/")[1]} ${ZTUNNEL_ADMIN_PORT}, ` +
        `then curl localhost:${ZTUNNEL_ADMIN_PORT}${CONFIG_DUMP_PATH}`,
    );
  }
}

const READ_ATTEMPTS = 3;

/**
 * ztunnel's workload list, from one Ready ztunnel pod (each holds the whole mesh's workloads).
 * A dropped port-forward or an admin port that does not answer is retried (the pod is looked
 * up again: a restarted ztunnel has a new name); then ZtunnelUnreadable names the pod.
 */
export async function readZtunnel(port: ClusterPort, retryDelayMs = 500): Promise<ZtunnelConfig> {
  let reason = "";
  let name = "";
  for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
    const { pod } = await findZtunnel(port);
    const target = { namespace: pod.metadata.namespace as string, name: pod.metadata.name };
    name = `${target.namespace}/${target.name}`;
    try {
      return await readOne(port, target);
    } catch (err) {
      if (err instanceof AmbientMigrateError && err.exitCode === ExitCode.forbidden) throw err;
      reason = (err as Error).message;
    }
    if (attempt < READ_ATTEMPTS) await sleep(retryDelayMs * attempt);
  }
  throw new ZtunnelUnreadable(name, reason);
}

async function readOne(
  port: ClusterPort,
  target: { namespace: string; name: string },
): Promise<ZtunnelConfig> {
  const answer = await port.portForwardGet(target, ZTUNNEL_ADMIN_PORT, CONFIG_DUMP_PATH);
  const source = `${target.namespace}/${target.name} (${answer.via})`;
  if (answer.status !== 200) {
    throw new AmbientMigrateError(
      `ztunnel ${source} answered ${CONFIG_DUMP_PATH} with HTTP ${answer.status}`,
      ExitCode.verificationFailed,
      `compare with: istioctl ztunnel-config workloads ${target.name}.${target.namespace}`,
      [answer.body.slice(0, 300)],
    );
  }
  return parseConfigDump(answer.body, source);
}
