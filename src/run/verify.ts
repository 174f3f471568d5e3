// `migrate --verify-only -n NS --step N`: for a pipeline after each GitOps sync. Checks that what
// steps 1..N change is in place on the cluster (labels, pod template keys, applied objects present,
// deleted objects gone), then observes step N's gates, as migrate would, without writing anything:
// no lock, no journal, no change. The plan is built from the cluster with every step kept.

import type { Change } from "../changes/index.js";
import type { ClusterPort } from "../cluster/port.js";
import { templateMetadataOf } from "../cluster/port.js";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { observeWithFaults } from "../gates/faults.js";
import { describeGate, type Gate, type GateContext, observeGate } from "../gates/index.js";
import { describeRef, refOf } from "../inventory/identity.js";
import { labelsOf } from "../inventory/model.js";
import type { NamespacePlan } from "../plan/model.js";
import type { StepNumber } from "../plan/steps.js";
import { stepNumber } from "../plan/steps.js";
import { blockedError } from "./execute.js";

export interface VerifyOptions {
  timeoutMs: number;
  signal: AbortSignal;
  progress: (line: string) => void;
  ztunnelIntervalMs?: number;
  faultProbeIntervalMs?: number;
}

export interface VerifyResult {
  namespace: string;
  step: number;
  title: string;
  /** The changes of steps 1..N found in place. */
  inPlace: number;
  gates: { gate: string; description: string; detail: string }[];
}

/** What is not yet as change says (undefined when it is), read from the live object. */
async function pending(port: ClusterPort, change: Change): Promise<string | undefined> {
  switch (change.type) {
    case "label": {
      const live = await port.get(change.target);
      const value = live ? (labelsOf(live)[change.key] ?? null) : null;
      if (live && value === change.value) return undefined;
      return `${describeRef(change.target)}: label ${change.key} is ${value ?? "absent"}, the step wants ${change.value ?? "it removed"}`;
    }
    case "template-metadata": {
      const live = await port.get(change.target);
      const value = live ? (templateMetadataOf(live, change.field)[change.key] ?? null) : null;
      if (live && value === change.value) return undefined;
      return `${describeRef(change.target)}: pod template ${change.field} ${change.key} is ${value ?? "absent"}, the step wants ${change.value ?? "it removed"}`;
    }
    case "apply": {
      const ref = refOf(change.object);
      return (await port.get(ref)) ? undefined : `${describeRef(ref)}: not on the cluster (the step adds it)`;
    }
    case "delete":
      return (await port.get(change.target))
        ? `${describeRef(change.target)}: still on the cluster (the step deletes it)`
        : undefined;
    // Renewed pods are what the restart step's gates observe; the backup and the record of the
    // sidecars' routes are files, not cluster state.
    case "restart":
    case "backup":
    case "record-routes":
      return undefined;
    default:
      return change satisfies never;
  }
}

/**
 * The gates of step N. The restart step also waits until no pod of the namespace runs a
 * sidecar: without the executor's own restart, its rollout gate alone would pass on workloads
 * nobody restarted. The backup gate needs a file migrate wrote: not checked here.
 */
function gatesOf(plan: NamespacePlan, step: StepNumber): Gate[] {
  const s = plan.steps.find((x) => x.step === step);
  const gates = (s?.gates ?? []).filter((g) => g.type !== "backup-verified");
  if (step === stepNumber("restart"))
    gates.push({
      type: "no-sidecars",
      namespace: plan.namespace,
      except: plan.manualRestarts.map((m) => m.ref),
    });
  return gates;
}

export async function verifyStep(
  port: ClusterPort,
  plan: NamespacePlan,
  step: StepNumber,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const ns = plan.namespace;
  if (plan.blocked) throw blockedError([plan]);
  const target = plan.steps.find((s) => s.step === step);
  if (!target)
    throw new AmbientMigrateError(
      `${ns} has no step ${step} to verify: ${plan.notes[0] ?? plan.state.summary}`,
      ExitCode.verificationFailed,
    );
  const missing: string[] = [];
  let inPlace = 0;
  for (const s of plan.steps.filter((x) => x.step <= step))
    for (const change of s.changes) {
      const why = await pending(port, change);
      if (why) missing.push(`step ${s.step}: ${why}`);
      else if (change.type !== "restart" && change.type !== "backup") inPlace++;
    }
  if (missing.length > 0)
    throw new AmbientMigrateError(
      `${ns}: step ${step} (${target.title}) is not in place: ${missing.length} change(s) of steps 1-${step} are not on the cluster; nothing was changed`,
      ExitCode.verificationFailed,
      `commit and sync what the step's README lists (plan --output-dir), then verify again`,
      missing,
    );
  options.progress(`${ns} step ${step}: the ${inPlace} change(s) of steps 1-${step} are in place`);
  const ctx: GateContext = {
    port,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    progress: options.progress,
    ztunnelIntervalMs: options.ztunnelIntervalMs ?? 2000,
    ...(options.faultProbeIntervalMs ? { faultProbeIntervalMs: options.faultProbeIntervalMs } : {}),
  };
  const passed: VerifyResult["gates"] = [];
  for (const gate of gatesOf(plan, step)) {
    const description = describeGate(gate);
    options.progress(`  gate: ${description}`);
    const outcome = await observeWithFaults(gate, ctx, () => observeGate(gate, ctx));
    if (!outcome.passed)
      throw new AmbientMigrateError(
        `${ns} step ${step} (${target.title}): "${description}" did not pass within ${Math.round(options.timeoutMs / 1000)}s; last seen: ${outcome.detail}`,
        ExitCode.verificationFailed,
        "wait for the sync and the rollouts, or fix the cause, then verify again (nothing was changed)",
      );
    options.progress(`  passed: ${outcome.detail}`);
    passed.push({ gate: gate.type, description, detail: outcome.detail });
  }
  return { namespace: ns, step, title: target.title, inPlace, gates: passed };
}
