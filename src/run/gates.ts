// Observing the plan's gates on the live cluster. Every gate that the apiserver can report is
// observed on a watch (port.waitFor); ztunnel's workload list cannot be watched (it is an HTTP
// endpoint behind a port-forward), so the gates that need it re-read /config_dump on an interval.

import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { readBackup } from "../backup/backup.js";
import type { ClusterPort, WaitResult } from "../cluster/port.js";
import {
  capturedByZtunnel,
  readZtunnel,
  type ZtunnelConfig,
  type ZtunnelWorkload,
} from "../cluster/ztunnel.js";
import { groupOf, K, type KindInfo, kindInfo, lookupKind } from "../inventory/kinds.js";
import { annotationsOf, type KubeObject, labelsOf } from "../inventory/model.js";
import { namespaceInjection } from "../mesh/injection.js";
import { A, L } from "../mesh/labels.js";
import { sidecarFacts } from "../mesh/sidecar.js";
import type { Gate, ObjectRef } from "../plan/model.js";
import { resourceOf } from "../plan/render-kubectl.js";

export interface GateContext {
  port: ClusterPort;
  timeoutMs: number;
  signal: AbortSignal;
  progress: (message: string) => void;
  /** How often ztunnel's config_dump is re-read. */
  ztunnelIntervalMs: number;
}

export interface GateOutcome {
  passed: boolean;
  /** What was seen last: why it passed, or what was still missing. */
  detail: string;
}

type Condition = { type?: string; status?: string; reason?: string; message?: string };

function conditionTrue(conditions: unknown, type: string): boolean {
  return ((conditions ?? []) as Condition[]).some((c) => c.type === type && c.status === "True");
}

export function describeGate(gate: Gate): string {
  switch (gate.type) {
    case "waypoint-programmed":
      return `waypoint ${gate.namespace}/${gate.name} Programmed=True`;
    case "ztunnel-workloads":
      return `ztunnel lists every pod of ${gate.namespace} with protocol HBONE`;
    case "injection-disabled":
      return `namespace ${gate.namespace} no longer selects the sidecar injector`;
    case "rollouts-complete":
      return `rollouts complete: ${gate.targets.map((t) => `${resourceOf(t)}/${t.name}`).join(", ")}`;
    case "backup-verified":
      return `backup ${gate.file} written, readable and accepted by the apiserver`;
    case "no-sidecars":
      return `no pod of ${gate.namespace} runs istio-proxy`;
    case "pods-redirected":
      return `pods of ${gate.namespace} redirected to ztunnel (${A.redirection}=enabled, HBONE without nativeTunnel)`;
    case "policies-accepted":
      return `istiod accepted ${gate.targets.map((t) => `${t.kind}/${t.name}`).join(", ")}`;
  }
}

// --- pods -----------------------------------------------------------------------------------

function terminating(pod: KubeObject): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

/** Pods the data plane serves: not host-network, not finished, not a proxy opting out. */
function meshPod(pod: KubeObject): boolean {
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

function hasSidecar(pod: KubeObject): boolean {
  return sidecarFacts(pod.spec, annotationsOf(pod)).hasSidecar;
}

function names(pods: readonly KubeObject[]): string {
  const shown = pods.slice(0, 8).map((p) => p.metadata.name);
  return `${shown.join(", ")}${pods.length > shown.length ? `, ... (${pods.length} in all)` : ""}`;
}

// --- rollout status, as `kubectl rollout status` judges it ----------------------------------

/** undefined when the rollout is complete; otherwise what it is waiting for. */
export function rolloutPending(o: KubeObject): string | undefined {
  const status = o.status ?? {};
  const generation = o.metadata.generation as number | undefined;
  if (generation !== undefined && (status.observedGeneration ?? 0) < generation)
    return "waiting for the controller to observe the new generation";
  const want = (o.spec?.replicas ?? 1) as number;
  switch (o.kind) {
    case "Deployment": {
      const progressing = ((status.conditions ?? []) as Condition[]).find((c) => c.type === "Progressing");
      if (progressing?.reason === "ProgressDeadlineExceeded")
        return `progress deadline exceeded: ${progressing.message ?? ""}`;
      const updated = status.updatedReplicas ?? 0;
      if (updated < want) return `${updated} of ${want} new replicas updated`;
      if ((status.replicas ?? 0) > updated)
        return `${(status.replicas ?? 0) - updated} old replicas pending termination`;
      if ((status.availableReplicas ?? 0) < updated)
        return `${status.availableReplicas ?? 0} of ${updated} updated replicas available`;
      return undefined;
    }
    case "StatefulSet": {
      if (o.spec?.updateStrategy?.type === "OnDelete") return undefined;
      if ((status.readyReplicas ?? 0) < want) return `${status.readyReplicas ?? 0} of ${want} pods ready`;
      const partition = o.spec?.updateStrategy?.rollingUpdate?.partition as number | undefined;
      if (partition) {
        const expected = want - partition;
        if ((status.updatedReplicas ?? 0) < expected)
          return `${status.updatedReplicas ?? 0} of ${expected} pods updated (partition ${partition})`;
        return undefined;
      }
      if (status.updateRevision !== status.currentRevision)
        return `${status.updatedReplicas ?? 0} of ${want} pods at the new revision`;
      return undefined;
    }
    case "DaemonSet": {
      const desired = status.desiredNumberScheduled ?? 0;
      if ((status.updatedNumberScheduled ?? 0) < desired)
        return `${status.updatedNumberScheduled ?? 0} of ${desired} pods updated`;
      if ((status.numberAvailable ?? 0) < desired)
        return `${status.numberAvailable ?? 0} of ${desired} updated pods available`;
      return undefined;
    }
    default:
      return undefined;
  }
}

// --- observing ------------------------------------------------------------------------------

async function watchUntil(
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

/** Re-reads ztunnel (it cannot be watched) until judge passes or the gate times out. */
async function pollZtunnel(
  ctx: GateContext,
  judge: (config: ZtunnelConfig, pods: KubeObject[]) => string | undefined,
  namespace: string,
  what: string,
): Promise<GateOutcome> {
  const deadline = Date.now() + ctx.timeoutMs;
  let last = "";
  for (;;) {
    const pods = (await ctx.port.list(kindInfo(K.Pod), namespace)).items;
    const pending = judge(await readZtunnel(ctx.port), pods);
    if (pending === undefined) return { passed: true, detail: what };
    if (pending !== last) ctx.progress(`  waiting: ${what}: ${pending}`);
    last = pending;
    if (Date.now() + ctx.ztunnelIntervalMs > deadline || ctx.signal.aborted)
      return { passed: false, detail: `${what}: ${pending}` };
    await sleep(ctx.ztunnelIntervalMs, undefined, { signal: ctx.signal }).catch(() => undefined);
  }
}

function ztunnelPending(
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

export async function observeGate(gate: Gate, ctx: GateContext): Promise<GateOutcome> {
  const what = describeGate(gate);
  switch (gate.type) {
    case "waypoint-programmed":
      return watchUntil(
        ctx,
        kindInfo(K.Gateway),
        gate.namespace,
        (gateways) => {
          const g = gateways.find((o) => o.metadata.name === gate.name);
          if (!g) return "the Gateway does not exist";
          if (!conditionTrue(g.status?.conditions, "Programmed")) return "not Programmed=True yet";
          return (g.status?.addresses ?? []).length > 0 ? undefined : "no status.addresses yet";
        },
        what,
      );
    case "ztunnel-workloads":
      // Sidecar pods count too: before step 4 they show HBONE through their own HBONE-capable sidecar.
      return pollZtunnel(
        ctx,
        (config, pods) => ztunnelPending(config, pods, gate.namespace, (w) => w.protocol === "HBONE"),
        gate.namespace,
        what,
      );
    case "injection-disabled":
      return watchUntil(
        ctx,
        kindInfo(K.Namespace),
        undefined,
        (namespaces) => {
          const ns = namespaces.find((n) => n.metadata.name === gate.namespace);
          if (!ns) return "the namespace does not exist";
          const injection = namespaceInjection(labelsOf(ns));
          return injection.mode === "injection-label" || injection.mode === "revision"
            ? `still labelled ${injection.label}=${injection.value}`
            : undefined;
        },
        what,
      );
    case "rollouts-complete": {
      for (const target of gate.targets) {
        const kind = lookupKind(target.apiVersion, target.kind);
        if (!kind) return { passed: false, detail: `${what}: unknown kind ${target.kind}` };
        const outcome = await watchUntil(
          ctx,
          kind,
          target.namespace,
          (objects) => {
            const o = objects.find((x) => x.metadata.name === target.name);
            return o ? rolloutPending(o) : "it does not exist";
          },
          `rollout of ${resourceOf(target)}/${target.name}`,
        );
        if (!outcome.passed) return outcome;
      }
      return { passed: true, detail: what };
    }
    case "backup-verified":
      return verifyBackupFile(ctx, gate.file, gate.namespace, what);
    case "no-sidecars":
      return watchUntil(
        ctx,
        kindInfo(K.Pod),
        gate.namespace,
        (pods) => {
          const left = pods.filter((p) => meshPod(p) && !podOwnedBy(p, gate.except) && hasSidecar(p));
          return left.length === 0 ? undefined : `${left.length} pod(s) with a sidecar: ${names(left)}`;
        },
        what,
      );
    case "pods-redirected": {
      const annotated = await watchUntil(
        ctx,
        kindInfo(K.Pod),
        gate.namespace,
        (pods) => {
          const left = pods.filter(
            (p) =>
              meshPod(p) &&
              !terminating(p) &&
              !podOwnedBy(p, gate.except) &&
              annotationsOf(p)[A.redirection] !== "enabled",
          );
          return left.length === 0 ? undefined : `${left.length} pod(s) not redirected: ${names(left)}`;
        },
        what,
      );
      if (!annotated.passed) return annotated;
      return pollZtunnel(
        ctx,
        (config, pods) => ztunnelPending(config, pods, gate.namespace, capturedByZtunnel, gate.except),
        gate.namespace,
        what,
      );
    }
    case "policies-accepted": {
      for (const target of gate.targets) {
        const kind = lookupKind(target.apiVersion, target.kind);
        if (!kind) continue;
        const outcome = await watchUntil(
          ctx,
          kind,
          target.namespace,
          (objects) => {
            const o = objects.find((x) => x.metadata.name === target.name);
            if (!o) return "it does not exist";
            return accepted(o) ? undefined : "not accepted by istiod yet";
          },
          `${target.kind}/${target.name} accepted`,
        );
        if (!outcome.passed) return outcome;
      }
      return { passed: true, detail: what };
    }
  }
}

/** istiod's verdicts: HTTPRoute parents Accepted; AuthorizationPolicy WaypointAccepted. */
function accepted(o: KubeObject): boolean {
  if (o.kind === "HTTPRoute" || o.kind === "GRPCRoute")
    return ((o.status?.parents ?? []) as { conditions?: unknown }[]).some((p) =>
      conditionTrue(p.conditions, "Accepted"),
    );
  if (groupOf(o.apiVersion) === "security.istio.io")
    return conditionTrue(o.status?.conditions, "WaypointAccepted");
  return true;
}

/** The backup file exists, parses, and the apiserver accepts every object in it (dry run). */
async function verifyBackupFile(
  ctx: GateContext,
  file: string,
  namespace: string,
  what: string,
): Promise<GateOutcome> {
  let objects: KubeObject[];
  try {
    objects = readBackup(readFileSync(file, "utf8"), file);
  } catch (err) {
    return { passed: false, detail: `${what}: ${(err as Error).message}` };
  }
  const inNamespace = objects.filter((o) => o.metadata.namespace === namespace);
  if (inNamespace.length === 0) return { passed: false, detail: `${what}: no object of ${namespace} in it` };
  for (const object of inNamespace) {
    try {
      await ctx.port.apply(object, { dryRun: true, force: true });
    } catch (err) {
      return {
        passed: false,
        detail: `${what}: the apiserver refuses ${object.kind}/${object.metadata.name}: ${(err as Error).message}`,
      };
    }
  }
  return { passed: true, detail: `${what} (${objects.length} objects)` };
}
