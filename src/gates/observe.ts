// What every gate's observation shares: the context it runs in, the watch and ztunnel polling
// loops, and the judgments on pods. Every gate that the apiserver can report is observed on a
// watch (port.waitFor); ztunnel's workload list cannot be watched (it is an HTTP endpoint behind
// a port-forward), so the gates that need it re-read /config_dump on an interval.

import { setTimeout as sleep } from "node:timers/promises";
import type { ClusterPort, WaitResult } from "../cluster/port.js";
import {
  readZtunnel,
  type ZtunnelConfig,
  ZtunnelMissing,
  ZtunnelNotReady,
  ZtunnelUnreadable,
  type ZtunnelWorkload,
} from "../cluster/ztunnel.js";
import type { ObjectRef } from "../inventory/identity.js";
import { K, type KindInfo, kindInfo } from "../inventory/kinds.js";
import { annotationsOf, type KubeObject, labelsOf } from "../inventory/model.js";
import { L } from "../mesh/labels.js";
import { sidecarFacts } from "../mesh/sidecar.js";

export interface GateContext {
  port: ClusterPort;
  timeoutMs: number;
  signal: AbortSignal;
  progress: (message: string) => void;
  /** How often ztunnel's config_dump is re-read. */
  ztunnelIntervalMs: number;
  /** How often istiod and the controllers are asked while a gate waits (faults.ts). */
  faultProbeIntervalMs?: number;
}

export interface GateOutcome {
  passed: boolean;
  /** What was seen last: why it passed, or what was still missing. */
  detail: string;
}

export type Condition = { type?: string; status?: string; reason?: string; message?: string };

export function conditionTrue(conditions: unknown, type: string): boolean {
  return ((conditions ?? []) as Condition[]).some((c) => c.type === type && c.status === "True");
}

// --- pods -----------------------------------------------------------------------------------

export function terminating(pod: KubeObject): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

/** Pods the data plane serves: not host-network, not finished, not a proxy opting out. */
export function meshPod(pod: KubeObject): boolean {
  const phase = pod.status?.phase;
  return (
    pod.spec?.hostNetwork !== true &&
    phase !== "Succeeded" &&
    phase !== "Failed" &&
    labelsOf(pod)[L.dataplaneMode] !== "none"
  );
}

/** Whether the pod belongs to one of the workloads (Deployment via its ReplicaSet, or owner, or itself). */
export function podOwnedBy(pod: KubeObject, refs: readonly ObjectRef[]): boolean {
  const owners = pod.metadata.ownerReferences ?? [];
  return refs.some((ref) => {
    if (ref.kind === "Pod") return pod.metadata.name === ref.name;
    return owners.some(
      (o) =>
        (o.kind === ref.kind && o.name === ref.name) ||
        (ref.kind === "Deployment" && o.kind === "ReplicaSet" && o.name.startsWith(`${ref.name}-`)),
    );
  });
}

export function hasSidecar(pod: KubeObject): boolean {
  return sidecarFacts(pod.spec, annotationsOf(pod)).hasSidecar;
}

export function names(pods: readonly KubeObject[]): string {
  const shown = pods.slice(0, 8).map((p) => p.metadata.name);
  return `${shown.join(", ")}${pods.length > shown.length ? `, ... (${pods.length} in all)` : ""}`;
}

// --- observing ------------------------------------------------------------------------------

/** Watches the objects of a kind until judge says nothing is pending, or the gate times out. */
export async function watchUntil(
  ctx: GateContext,
  kind: KindInfo,
  namespace: string | undefined,
  judge: (objects: KubeObject[]) => string | undefined,
  what: string,
): Promise<GateOutcome> {
  let last = "";
  const result: WaitResult = await ctx.port.waitFor(
    kind,
    namespace,
    (objects) => judge(objects) === undefined,
    {
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
      onProgress: (objects) => {
        const pending = judge(objects) ?? "";
        if (pending !== last) ctx.progress(`  waiting: ${what}: ${pending}`);
        last = pending;
      },
    },
  );
  const pending = judge(result.objects);
  return result.satisfied || pending === undefined
    ? { passed: true, detail: what }
    : { passed: false, detail: `${what}: ${pending}` };
}

/**
 * Re-reads ztunnel (it cannot be watched) until judge passes or the gate times out. A ztunnel
 * that cannot serve yet (pods not Ready while their nodes come back, admin port down, a dropped
 * port-forward) or is not there at all is waited on like any other pending state: at the timeout
 * the gate fails naming what it saw last, except that a ztunnel still missing then is exit 8.
 */
export async function pollZtunnel(
  ctx: GateContext,
  judge: (config: ZtunnelConfig, pods: KubeObject[]) => string | undefined,
  namespace: string,
  what: string,
): Promise<GateOutcome> {
  const deadline = Date.now() + ctx.timeoutMs;
  let last = "";
  for (;;) {
    const pods = (await ctx.port.list(kindInfo(K.Pod), namespace)).items;
    let missing: ZtunnelMissing | undefined;
    const pending = await readZtunnel(ctx.port).then(
      (config) => judge(config, pods),
      (err: unknown) => {
        if (err instanceof ZtunnelMissing) missing = err;
        else if (!(err instanceof ZtunnelUnreadable || err instanceof ZtunnelNotReady)) throw err;
        return (err as Error).message;
      },
    );
    if (pending === undefined) return { passed: true, detail: what };
    if (pending !== last) ctx.progress(`  waiting: ${what}: ${pending}`);
    last = pending;
    if (Date.now() + ctx.ztunnelIntervalMs > deadline || ctx.signal.aborted) {
      if (missing && !ctx.signal.aborted) throw missing;
      return { passed: false, detail: `${what}: ${pending}` };
    }
    await sleep(ctx.ztunnelIntervalMs, undefined, { signal: ctx.signal }).catch(() => undefined);
  }
}

/** What keeps the namespace's running pods from being listed by ztunnel as `accept` wants. */
export function ztunnelPending(
  config: ZtunnelConfig,
  pods: KubeObject[],
  namespace: string,
  accept: (w: ZtunnelWorkload) => boolean,
  except: readonly ObjectRef[] = [],
): string | undefined {
  const listed = new Map(config.workloadsIn(namespace).map((w) => [w.name, w]));
  const wanted = pods.filter(
    (p) => meshPod(p) && !terminating(p) && p.status?.podIP && !podOwnedBy(p, except),
  );
  const missing = wanted.filter((p) => {
    const w = listed.get(p.metadata.name);
    return !w || !accept(w);
  });
  if (wanted.length === 0) return "no running pod with an IP yet";
  if (missing.length === 0) return undefined;
  return `${missing.length} of ${wanted.length} pods not listed as required by ztunnel (${config.source}): ${names(missing)}`;
}

/** Watches each object until judge passes for it; the first that does not pass fails the gate. */
export async function watchEach(
  ctx: GateContext,
  targets: readonly ObjectRef[],
  kindOf: (ref: ObjectRef) => KindInfo | undefined,
  judge: (object: KubeObject) => string | undefined,
  whatOf: (ref: ObjectRef) => string,
  what: string,
  onUnknownKind: "fail" | "skip",
): Promise<GateOutcome> {
  for (const target of targets) {
    const kind = kindOf(target);
    if (!kind) {
      if (onUnknownKind === "skip") continue;
      return { passed: false, detail: `${what}: unknown kind ${target.kind}` };
    }
    const outcome = await watchUntil(
      ctx,
      kind,
      target.namespace,
      (objects) => {
        const o = objects.find((x) => x.metadata.name === target.name);
        return o ? judge(o) : "it does not exist";
      },
      whatOf(target),
    );
    if (!outcome.passed) return outcome;
  }
  return { passed: true, detail: what };
}
