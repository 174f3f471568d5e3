// What a gate says while it waits on a cluster that is failing: gates that need istiod check,
// every few seconds, whether istiod can be reached ("waiting: istiod unreachable: ..."), and
// rollout gates read the controllers' own messages about pods not created (quota, PodSecurity,
// a failing webhook). Both run beside the gate's own observation and end with it; when the gate
// fails, their last finding is part of the reason.

import { setTimeout as sleep } from "node:timers/promises";
import { controllerMessages } from "../cluster/controller-messages.js";
import { istiodUnreachable } from "../cluster/istiod.js";
import type { ClusterPort } from "../cluster/port.js";
import type { ObjectRef } from "../inventory/identity.js";
import { lookupKind } from "../inventory/kinds.js";

/** The gates whose condition istiod produces (status, ztunnel's view, policy acceptance). */
const NEEDS_ISTIOD = new Set([
  "waypoint-programmed",
  "ztunnel-workloads",
  "pods-redirected",
  "policies-accepted",
]);

interface FaultWatchContext {
  port: ClusterPort;
  signal: AbortSignal;
  progress: (message: string) => void;
  /** How often istiod and the controllers are asked while a gate waits. */
  faultProbeIntervalMs?: number;
}

interface WatchedGate {
  type: string;
  namespace?: string;
  targets?: readonly ObjectRef[];
}

interface Outcome {
  passed: boolean;
  detail: string;
}

function namespaceOf(gate: WatchedGate): string | undefined {
  return gate.namespace ?? gate.targets?.[0]?.namespace;
}

/** Runs `observe`, probing beside it; a failed outcome carries the last finding. */
export async function observeWithFaults<O extends Outcome>(
  gate: WatchedGate,
  ctx: FaultWatchContext,
  observe: () => Promise<O>,
): Promise<O> {
  const ns = namespaceOf(gate);
  const probes: ((finding: (text: string | undefined) => void) => Promise<void>)[] = [];
  if (NEEDS_ISTIOD.has(gate.type) && ns)
    probes.push(async (finding) => {
      const reason = await istiodUnreachable(ctx.port, ns);
      finding(reason === undefined ? undefined : `istiod unreachable: ${reason}`);
    });
  if (gate.type === "rollouts-complete" && gate.targets)
    probes.push(async (finding) => {
      const messages: string[] = [];
      for (const target of gate.targets ?? []) {
        if (!lookupKind(target.apiVersion, target.kind)) continue;
        const live = await ctx.port.get(target);
        if (live) messages.push(...(await controllerMessages(ctx.port, live)));
      }
      finding(messages.length > 0 ? messages.join("; ") : undefined);
    });
  if (probes.length === 0) return observe();

  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, ctx.signal]);
  const interval = ctx.faultProbeIntervalMs ?? 3_000;
  const findings = probes.map(() => undefined as string | undefined);
  const loops = probes.map(async (probe, i) => {
    // A gate that passes at once needs no probe.
    await sleep(Math.min(interval, 1_000), undefined, { signal }).catch(() => undefined);
    while (!signal.aborted) {
      await probe((text) => {
        if (text !== undefined && text !== findings[i]) ctx.progress(`  waiting: ${text}`);
        else if (text === undefined && findings[i] !== undefined && NEEDS_ISTIOD.has(gate.type))
          ctx.progress("  istiod answers again");
        findings[i] = text;
      }).catch(() => undefined); // a probe that fails (the apiserver away) says nothing new
      await sleep(interval, undefined, { signal }).catch(() => undefined);
    }
  });
  try {
    const outcome = await observe();
    const known = findings.filter((f) => f !== undefined);
    return outcome.passed || known.length === 0
      ? outcome
      : { ...outcome, detail: `${outcome.detail}; ${known.join("; ")}` };
  } finally {
    stop.abort();
    await Promise.all(loops);
  }
}
