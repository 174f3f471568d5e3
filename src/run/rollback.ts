// Rollback from the journal: the seed's rollback table made exact. Every recorded change after
// the target step is undone in reverse order with the value it really replaced (e.g.
// istio.io/rev=1-27, not the page's istio-injection=enabled); the workloads the run restarted are
// restarted last, once the injection label is back, and their pods must show sidecars again.

import { type ChangeEntry, handlerOf, type UndoContext } from "../changes/index.js";
import { probeInjector } from "../cluster/istiod.js";
import { type ClusterPort, podTemplatePath } from "../cluster/port.js";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { observeWithFaults } from "../gates/faults.js";
import { type GateContext, observeGate } from "../gates/index.js";
import { podOwnedBy } from "../gates/observe.js";
import type { ObjectRef } from "../inventory/identity.js";
import { K, kindInfo } from "../inventory/kinds.js";
import { annotationsOf, type KubeObject } from "../inventory/model.js";
import { sidecarFacts } from "../mesh/sidecar.js";
import { stepNumber } from "../plan/steps.js";
import type { DistributiveOmit, EventSink, RunEvent } from "./events.js";
import { type Journal, plannedChange, readJournal, writeJournal } from "./journal.js";
import { journalCopyPath, readJournalCopy, saveJournalCopy } from "./journal-copy.js";
import { NamespaceLock } from "./lock.js";
import { interruptedBy } from "./session.js";

export interface RollbackOptions {
  /** Undo the steps after this one (0: everything). */
  toStep: number;
  /** Where migrate kept its backups and the journal's copy (rebuilt from it when the ConfigMap is gone). */
  backupDir?: string;
  overwrite: boolean;
  timeoutMs: number;
  holder: string;
  signal: AbortSignal;
  out: (line: string) => void;
  progress: (line: string) => void;
  /** The same progress as events (`rollback -o json` streams them as NDJSON, the live tree draws them). */
  events?: EventSink;
  ztunnelIntervalMs?: number;
}

export interface RollbackResult {
  toStep: number;
  undone: number;
  /** Backed-up objects left alone because a newer object of that name exists. */
  skipped: string[];
}

const RESTART_STEP = stepNumber("restart");
const INJECTION_STEP = stepNumber("remove-injection");

/** Pods renewed without injection only get sidecars back with the injection label: undo step 3 too. */
function effectiveTarget(journal: Journal, toStep: number): number {
  const restarts = journal.changes.some((c) => c.type === "restart" && c.step > toStep);
  return restarts && toStep >= INJECTION_STEP ? INJECTION_STEP - 1 : toStep;
}

export async function rollbackNamespace(
  port: ClusterPort,
  namespace: string,
  options: RollbackOptions,
): Promise<RollbackResult> {
  const emit = eventsOf(namespace, options);
  emit({ event: "namespace", phase: "started" });
  try {
    const result = await rollbackRun(port, namespace, options, emit);
    emit({ event: "namespace", phase: "passed", result: "rolled-back" });
    return result;
  } catch (err) {
    emit({ event: "namespace", phase: "failed", error: (err as Error).message });
    throw err;
  }
}

type Emit = (event: DistributiveOmit<RunEvent, "time" | "namespace">) => void;

function eventsOf(namespace: string, options: RollbackOptions): Emit {
  return (event) => options.events?.({ time: new Date().toISOString(), namespace, ...event } as RunEvent);
}

async function rollbackRun(
  port: ClusterPort,
  namespace: string,
  options: RollbackOptions,
  emit: Emit,
): Promise<RollbackResult> {
  const lock = await NamespaceLock.acquire(port, namespace, options.holder);
  lock.keepRenewed(() => undefined);
  let journal: Journal | undefined;
  const save = async (j: Journal) => {
    await writeJournal(port, j);
    if (options.backupDir) await saveJournalCopy(options.backupDir, j);
    emit({ event: "journal", phase: "written", status: j.status, step: j.currentStep });
  };
  try {
    journal = (await readJournal(port, namespace)) ?? (await fromCopy(port, namespace, options));
    if (!journal)
      throw new AmbientMigrateError(
        `namespace ${namespace} has no ambient-migrate journal: nothing recorded to roll back`,
        ExitCode.notFound,
        "rollback undoes what `ambient-migrate migrate` recorded; undo other changes by hand (see `ambient-migrate plan`)",
      );
    const current = journal;
    const toStep = effectiveTarget(journal, options.toStep);
    if (toStep !== options.toStep)
      options.progress(
        `step ${RESTART_STEP} restarted pods: step ${INJECTION_STEP} is undone too so that they get their sidecars back`,
      );
    const undo = journal.changes.filter((c) => c.step > toStep);
    const result: RollbackResult = { toStep, undone: 0, skipped: [] };
    const ordered = [
      ...undo.filter((c) => c.type !== "restart").reverse(),
      ...undo.filter((c) => c.type === "restart"),
    ];
    // Interrupted while the last rollback's restarts were verified: they are verified now.
    const last = journal.rollbacks.at(-1);
    const unverified =
      journal.status === "interrupted" && journal.rollbackPending && last && !last.verified
        ? last.undone.flatMap((e) => {
            const change = plannedChange(current, e.id);
            return change?.type === "restart" ? [change.target] : [];
          })
        : [];
    const restarted: ObjectRef[] = [...unverified];
    let injectorChecked = false;
    for (const entry of ordered) {
      if (entry.type === "restart" && !injectorChecked) {
        injectorChecked = true;
        await injectionWouldWork(port, namespace, journal, ordered, () => save(current));
      }
      if (options.signal.aborted) throw interruptedRollback(namespace);
      const change = plannedChange(journal, entry.id);
      if (!change) continue;
      const ctx: UndoContext = {
        port,
        entry,
        overwrite: options.overwrite,
        out: options.out,
        progress: options.progress,
        skipped: result.skipped,
      };
      const leftAlone = result.skipped.length;
      await handlerOf(change).undo(change, ctx);
      if (change.type === "restart") restarted.push(change.target);
      journal.changes = journal.changes.filter((c) => c !== entry);
      result.undone++;
      await save(journal);
      const kept = result.skipped.slice(leftAlone);
      emit({
        event: "change",
        phase: kept.length > 0 ? "skipped" : "undone",
        step: entry.step,
        id: entry.id,
        type: entry.type,
        target: entry.target,
        ...(kept.length > 0
          ? {
              reason: `left alone, a newer object of that name exists: ${kept.join(" ")} (--overwrite restores it)`,
            }
          : {}),
      });
    }
    journal.completedSteps = journal.completedSteps.filter((s) => s <= toStep);
    journal.gates = journal.gates.filter((g) => g.step <= toStep);
    journal.currentStep = toStep;
    journal.status = "rolled-back";
    // Nothing left to undo after an interrupted verification: that rollback's record is completed.
    const record =
      ordered.length === 0 && unverified.length > 0 && last
        ? last
        : { time: new Date().toISOString(), toStep, undone: ordered, verified: false };
    if (record !== last) journal.rollbacks.push(record);
    journal.failure = undefined;
    journal.rollbackPending = undefined;
    await save(journal);
    if (restarted.length > 0) {
      await verifySidecarsBack(port, namespace, restarted, options, emit);
      record.verified = true;
      await save(journal);
    }
    return result;
  } catch (err) {
    // Ctrl-C: the journal says so, and only rollback may go on (a migrate would resume the run).
    if (!options.signal.aborted || !journal) throw err;
    journal.status = "interrupted";
    journal.failure = `rollback ${interruptedBy(options.signal)}`;
    journal.rollbackPending = true;
    await save(journal);
    throw interruptedRollback(namespace);
  } finally {
    await lock.release().catch(() => undefined);
  }
}

function interruptedRollback(namespace: string): AmbientMigrateError {
  return new AmbientMigrateError(
    `rollback of ${namespace} interrupted; the journal records where it stopped`,
    ExitCode.interrupted,
    `run ambient-migrate rollback ${namespace} again to finish it`,
  );
}

/** The journal from the copy migrate kept in --backup-dir, when the ConfigMap is gone. */
async function fromCopy(
  port: ClusterPort,
  namespace: string,
  options: RollbackOptions,
): Promise<Journal | undefined> {
  if (!options.backupDir) return undefined;
  const copy = readJournalCopy(options.backupDir, namespace);
  if (!copy) return undefined;
  await writeJournal(port, copy);
  options.progress(
    `${namespace}: rebuilt the journal of ${namespace} from ${journalCopyPath(options.backupDir, namespace)} (its ConfigMap was gone)`,
  );
  return copy;
}

/**
 * Before any workload is restarted: each one's pod template goes through the injector as a
 * server-side dry run. Restarting while injection fails would leave pods without sidecars (or
 * none at all), so the rollback stops here, with everything else restored and the restarts
 * still in the journal for the next run.
 */
async function injectionWouldWork(
  port: ClusterPort,
  namespace: string,
  journal: Journal,
  ordered: readonly ChangeEntry[],
  save: () => Promise<void>,
): Promise<void> {
  for (const entry of ordered) {
    const change = plannedChange(journal, entry.id);
    if (change?.type !== "restart") continue;
    const live = await port.get(change.target);
    if (!live) continue;
    // biome-ignore lint/suspicious/noExplicitAny: raw JSON walk to the pod template
    let template: any = live;
    for (const key of podTemplatePath(live.kind)) template = template?.[key];
    const verdict = await probeInjector(port, namespace, template);
    // Refused after injection (a quota): what it would inject cannot be seen; the rollout gate
    // reports the refusal in the controller's words.
    const why = !verdict.reachable
      ? `injection would fail: webhook "${verdict.webhook}": ${verdict.message}`
      : !verdict.injected && !verdict.refused
        ? `the injector would not add istio-proxy to the pods of ${entry.target} (a server-side dry run of its pod template came back without it)`
        : undefined;
    if (!why) continue;
    journal.status = "failed";
    journal.rollbackPending = true;
    journal.failure = `rollback stopped before restarting workloads: ${why}`;
    await save();
    throw new AmbientMigrateError(
      `rollback of ${namespace} stopped before restarting workloads: ${why}; everything else is restored, nothing was restarted`,
      ExitCode.verificationFailed,
      `make injection work again (istiod running, its webhook reachable: kubectl get mutatingwebhookconfigurations -l app=sidecar-injector), then run ambient-migrate rollback ${namespace} again: it restarts the workloads and checks their sidecars`,
    );
  }
}

async function verifySidecarsBack(
  port: ClusterPort,
  namespace: string,
  restarted: ObjectRef[],
  options: RollbackOptions,
  emit: Emit,
): Promise<void> {
  // One gate in the events: the restarts roll out and every new pod runs istio-proxy again.
  const started = Date.now();
  const about = {
    event: "gate",
    step: RESTART_STEP,
    gate: "rollouts-complete",
    description: "the restarted workloads roll out and their pods run istio-proxy again",
  } as const;
  const progress = (line: string) => {
    options.progress(line);
    emit({ ...about, phase: "waiting", detail: line.trim(), elapsedMs: Date.now() - started });
  };
  emit({ ...about, phase: "started" });
  try {
    await sidecarsBack(port, namespace, restarted, { ...options, progress });
  } catch (err) {
    emit({ ...about, phase: "failed", detail: (err as Error).message, elapsedMs: Date.now() - started });
    throw err;
  }
  emit({
    ...about,
    phase: "passed",
    detail: "every restarted pod runs istio-proxy",
    elapsedMs: Date.now() - started,
  });
}

async function sidecarsBack(
  port: ClusterPort,
  namespace: string,
  restarted: ObjectRef[],
  options: RollbackOptions,
): Promise<void> {
  const ctx: GateContext = {
    port,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    progress: options.progress,
    ztunnelIntervalMs: options.ztunnelIntervalMs ?? 2000,
  };
  const gate = { type: "rollouts-complete" as const, targets: restarted };
  const rollouts = await observeWithFaults(gate, ctx, () => observeGate(gate, ctx));
  if (!rollouts.passed) throw rollbackUnverified(namespace, rollouts.detail, options.timeoutMs);
  const pending = (pods: KubeObject[]) =>
    pods.filter(
      (p) =>
        podOwnedBy(p, restarted) &&
        p.metadata.deletionTimestamp === undefined &&
        !sidecarFacts(p.spec, annotationsOf(p)).hasSidecar,
    );
  const seen = await port.waitFor(kindInfo(K.Pod), namespace, (pods) => pending(pods).length === 0, {
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    onProgress: (pods) =>
      options.progress(`  waiting: ${pending(pods).length} pod(s) still without a sidecar`),
  });
  if (!seen.satisfied)
    throw rollbackUnverified(
      namespace,
      `pods without istio-proxy: ${pending(seen.objects)
        .map((p) => p.metadata.name)
        .join(", ")}`,
      options.timeoutMs,
    );
  options.progress(`  passed: the restarted workloads' pods run istio-proxy again`);
}

function rollbackUnverified(namespace: string, detail: string, timeoutMs: number): AmbientMigrateError {
  return new AmbientMigrateError(
    `rollback of ${namespace} done, but not verified within ${Math.round(timeoutMs / 1000)}s: ${detail}`,
    ExitCode.verificationFailed,
    `check the injector (kubectl get mutatingwebhookconfigurations) and the pods: kubectl get pods -n ${namespace}`,
  );
}
