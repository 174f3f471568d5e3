// Each connected proxy's xDS sync with istiod, from istiod's own debug endpoint /debug/syncz on
// its monitoring port (15014), as `istioctl proxy-status` shows it: for each type istiod pushed,
// the nonce it sent and the one the proxy acknowledged. Reached through each istiod pod's
// port-forward, or at a URL given (`status --istiod http://127.0.0.1:15014` after a
// `kubectl port-forward`, or where istiod runs outside the cluster). An istiod outside the cluster
// is not looked for: istioctl finds it from the injector webhook's clientConfig.url and asks it
// over XDS (gRPC, a token and istiod's CA) on that URL's port, where /debug/syncz is not served
// over HTTP (404 on the testbed's 15017), and nothing in the cluster names its monitoring port
// (the istiod Service has no endpoints, meshConfig names only the XDS address).

import { AmbientMigrateError, ExitCode } from "../errors.js";
import { K, kindInfo } from "../inventory/kinds.js";
import type { ClusterPort } from "./port.js";

const ISTIOD_MONITORING_PORT = 15014;
const SYNCZ = "/debug/syncz";

/** One proxy's line of /debug/syncz (pilot/pkg/xds/debug.go SyncStatus). */
interface SyncStatus {
  proxy?: string;
  proxy_type?: string;
  resources?: Record<string, { sent?: string; acked?: string }>;
}

/** What `istioctl proxy-status` abbreviates each type to. */
const SHORT: Record<string, string> = {
  "type.googleapis.com/envoy.config.cluster.v3.Cluster": "CDS",
  "type.googleapis.com/envoy.config.listener.v3.Listener": "LDS",
  "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment": "EDS",
  "type.googleapis.com/envoy.config.route.v3.RouteConfiguration": "RDS",
  "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig": "ECDS",
  "type.googleapis.com/istio.workload.Address": "WDS",
  "type.googleapis.com/istio.security.Authorization": "WADS",
};

/** "pod.namespace" → "SYNCED (CDS,LDS,EDS,RDS)" or "STALE: RDS (sent, not acknowledged)". */
export type SyncStates = Map<string, string>;

export function parseSyncz(body: string): SyncStates {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AmbientMigrateError(`istiod's ${SYNCZ} is not JSON`, ExitCode.verificationFailed, undefined, [
      body.slice(0, 200),
    ]);
  }
  const states: SyncStates = new Map();
  for (const s of Array.isArray(parsed) ? (parsed as SyncStatus[]) : []) {
    if (!s.proxy) continue;
    const types = Object.entries(s.resources ?? {}).filter(([, r]) => r.sent);
    const name = ([type]: [string, unknown]) => SHORT[type] ?? type.split(".").at(-1) ?? type;
    const stale = types.filter(([, r]) => r.acked !== r.sent);
    states.set(
      s.proxy,
      types.length === 0
        ? "NOT SENT"
        : stale.length === 0
          ? `SYNCED (${types.map(name).join(",")})`
          : `STALE: ${stale.map(name).join(",")} sent, not acknowledged`,
    );
  }
  return states;
}

/**
 * The sync states, from `url` when given, else from every running istiod pod through its
 * port-forward, merged: each proxy is connected to one replica, and only that one lists it (as
 * istioctl proxy-status asks each istiod pod in turn).
 */
export async function readSyncz(
  port: ClusterPort,
  url?: string,
): Promise<{ states: SyncStates; source: string }> {
  if (url) {
    const target = new URL(SYNCZ, url);
    const answer = await fetch(target, { signal: AbortSignal.timeout(10_000) }).catch((err: Error) => {
      throw new AmbientMigrateError(
        `istiod at ${url} did not answer: ${err.message}`,
        ExitCode.clusterUnreachable,
      );
    });
    const body = await answer.text();
    if (!answer.ok)
      throw new AmbientMigrateError(
        `istiod at ${url} answered ${SYNCZ} with HTTP ${answer.status}`,
        ExitCode.verificationFailed,
      );
    return { states: parseSyncz(body), source: target.href };
  }
  const pods = (
    await port.list(kindInfo(K.Pod), "istio-system", { labelSelector: "app=istiod" })
  ).items.filter((p) => (p.status?.phase as string | undefined) === "Running");
  if (pods.length === 0)
    throw new AmbientMigrateError(
      "no running istiod pod in istio-system (app=istiod)",
      ExitCode.prerequisiteMissing,
      "give istiod's monitoring address with --istiod URL (e.g. after kubectl -n istio-system port-forward deploy/istiod 15014; istiod outside the cluster: its host, port 15014)",
    );
  const states: SyncStates = new Map();
  const via = new Set<string>();
  for (const pod of pods) {
    const target = { namespace: "istio-system", name: pod.metadata.name };
    const answer = await port.portForwardGet(target, ISTIOD_MONITORING_PORT, SYNCZ);
    if (answer.status !== 200)
      throw new AmbientMigrateError(
        `istiod istio-system/${target.name} answered ${SYNCZ} with HTTP ${answer.status}`,
        ExitCode.verificationFailed,
      );
    for (const [proxy, state] of parseSyncz(answer.body)) if (!states.has(proxy)) states.set(proxy, state);
    via.add(answer.via);
  }
  const names = pods.map((p) => `istio-system/${p.metadata.name}`).join(", ");
  return { states, source: `${names} (${[...via].join(", ")})` };
}
