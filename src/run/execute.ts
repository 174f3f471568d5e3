// The executor: carries out one namespace's plan on the live cluster, step by step, through the
// cluster port only. Each change is journalled as an intent before it is made and marked done
// after; each gate is observed before the next change. A resumed run follows the journal's
// stored plan, skips what is done, re-checks the last completed step's gates, and finishes any
// change left at "intent" idempotently.

import { resolve } from "node:path";
import type { AnalysisGate } from "../analysis/gate.js";
import { setAsideEarlierFiles } from "../backup/earlier.js";
import {
  type Change,
  type ChangeEntry,
  changeCommands,
  type DryRunContext,
  handlerOf,
  type PerformContext,
} from "../changes/index.js";
import { prerequisiteMissing } from "../cluster/errors.js";
import { istiodUnreachable } from "../cluster/istiod.js";
import type { ClusterPort } from "../cluster/port.js";
import { PLAIN, type Style } from "../color.js";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { observeWithFaults } from "../gates/faults.js";
import { describeGate, type Gate, type GateContext, gateVerify, observeGate } from "../gates/index.js";
import { refOf } from "../inventory/identity.js";
import type { NamespacePlan } from "../plan/model.js";
import type { StepNumber } from "../plan/steps.js";
import type { DistributiveOmit, EventSink, RunEvent } from "./events.js";
import { Guard, JournalTampered } from "./guard.js";
import {
  type Journal,
  journalSummary,
  newJournal,
  planDigest,
  plannedChange,
  readJournal,
  type StoredStep,
  storedSteps,
  writeJournal,
} from "./journal.js";
import {
  journalCopyPath,
  journalLost,
  migrationTraces,
  readJournalCopy,
  saveJournalCopy,
} from "./journal-copy.js";
import { LockLost, NamespaceLock } from "./lock.js";
import { interruptedBy } from "./session.js";

export type DryRun = "none" | "client" | "server";

export interface RunOptions {
  /** Per gate. */
  timeoutMs: number;
  dryRun: DryRun;
  holder: string;
  /** Where step 5's backup files are written. */
  backupDir: string;
  signal: AbortSignal;
  /** The kubectl equivalents of the changes, as they are made. */
  out: (line: string) => void;
  /** Progress: waits, skips, resumes. */
  progress: (line: string) => void;
  /** The same progress as structured events (`-o json` streams them as NDJSON). */
  events?: EventSink;
  toolVersion: string;
  /** How often istiod and the controllers are asked while a gate waits. */
  faultProbeIntervalMs?: number;
  /** Stop after this step (`migrate --to-step N`): the journal records it, a later run goes on. */
  toStep?: StepNumber;
  ztunnelIntervalMs?: number;
  /** How often the Lease is renewed (10 s). */
  lockRenewIntervalMs?: number;
  now?: () => Date;
  /** The SLO gate: a baseline before step 1, an analysis on Prometheus after each gated step. */
  analysis?: AnalysisGate;
  /** Colours for the progress lines (plain when unset; cli/color.ts decides). */
  style?: Style;
}

export type RunResult = "migrated" | "paused" | "already-migrated" | "nothing-to-do" | "dry-run";

function interrupted(namespace: string, step: number): AmbientMigrateError {
  return new AmbientMigrateError(
    `interrupted during step ${step} of ${namespace}; the journal records where it stopped`,
    ExitCode.interrupted,
    `resume with: ambient-migrate migrate -n ${namespace}   or undo with: ambient-migrate rollback ${namespace}`,
  );
}

class Run {
  private readonly now: () => Date;
  private readonly gates: GateContext;
  private readonly guard: Guard;
  /** The journal ConfigMap's resourceVersion as this run last wrote it. */
  private journalVersion: string | undefined;

  constructor(
    private readonly port: ClusterPort,
    private readonly journal: Journal,
    private readonly options: RunOptions,
    private readonly lock: NamespaceLock,
  ) {
    this.guard = new Guard(port, journal, (id) => plannedChange(journal, id));
    this.now = options.now ?? (() => new Date());
    this.gates = {
      port,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      progress: options.progress,
      ztunnelIntervalMs: options.ztunnelIntervalMs ?? 2000,
      ...(options.faultProbeIntervalMs ? { faultProbeIntervalMs: options.faultProbeIntervalMs } : {}),
    };
  }

  private get style(): Style {
    return this.options.style ?? PLAIN;
  }

  private get namespace(): string {
    return this.journal.namespace;
  }

  private async save(): Promise<void> {
    // Never re-create a journal someone deleted, nor overwrite their edit of it.
    if (this.journalVersion) await this.journalIntact();
    const written = await writeJournal(this.port, this.journal, this.now());
    this.journalVersion = written.metadata.resourceVersion;
    await saveJournalCopy(this.options.backupDir, this.journal);
    this.emit({
      event: "journal",
      phase: "written",
      status: this.journal.status,
      step: this.journal.currentStep,
    });
  }

  private emit(event: DistributiveOmit<RunEvent, "time" | "namespace">): void {
    this.options.events?.({
      time: this.now().toISOString(),
      namespace: this.namespace,
      ...event,
    } as RunEvent);
  }

  /**
   * Before every change: the lock is still held, the journal is as this run wrote it, and what
   * the earlier changes set is still in place (else exit 10, nothing overwritten).
   */
  private async checkGround(): Promise<void> {
    await this.lock.verify(this.now());
    await this.journalIntact();
    await this.guard.changesInPlace();
  }

  /**
   * The journal is as this run wrote it. A journal changed by the run that took this run's lock
   * (it resumed, and wrote first) is named as the lost lock, the cause, not as a stranger's edit.
   */
  private async journalIntact(): Promise<void> {
    try {
      await this.guard.journalIntact(this.journalVersion);
    } catch (err) {
      if (err instanceof JournalTampered) await this.lock.verify(this.now());
      throw err;
    }
  }

  /** A resumed run applies again what it had created and someone deleted since (the user chose to go on). */
  private async reapplyDeleted(): Promise<void> {
    for (const entry of this.journal.changes) {
      const change = plannedChange(this.journal, entry.id);
      if (entry.state !== "done" || change?.type !== "apply") continue;
      if (await this.port.get(refOf(change.object))) continue;
      this.options.progress(`  ${entry.target} (change ${entry.id}) was deleted since: applying it again`);
      entry.state = "intent";
    }
  }

  private checkSignal(): void {
    if (this.options.signal.aborted) throw interrupted(this.namespace, this.journal.currentStep);
  }

  /** Runs the steps left; returns "paused" when it stopped after options.toStep. */
  async run(resumed: boolean): Promise<"migrated" | "paused"> {
    if (resumed) await this.reapplyDeleted();
    await this.guard.start();
    const completed = this.journal.completedSteps;
    const lastCompleted = Math.max(0, ...completed);
    const { toStep, analysis } = this.options;
    if (analysis) {
      this.journal.analysis = await analysis.baseline(this.journal.analysis);
      await this.save();
    }
    for (const step of this.journal.steps) {
      if (toStep !== undefined && step.step > toStep && !completed.includes(step.step)) {
        this.journal.status = "paused";
        this.journal.currentStep = Math.max(0, ...completed);
        await this.save();
        this.options.progress(
          `stopped after step ${toStep} (--to-step); run migrate again to go on from step ${step.step}`,
        );
        return "paused";
      }
      const redo = this.journal.changes.some((c) => c.step === step.step && c.state === "intent");
      if (completed.includes(step.step) && redo) {
        this.options.progress(`step ${step.step}: ${step.title} (again: an object it applied was deleted)`);
        for (const [index, change] of step.changes.entries()) await this.change(step, index, change);
        for (const gate of step.gates) await this.gate(step, gate, false);
        continue;
      }
      if (completed.includes(step.step)) {
        if (resumed && step.step === lastCompleted && step.gates.length > 0) {
          this.options.progress(`step ${step.step} was completed earlier: checking its gates again`);
          for (const gate of step.gates) await this.gate(step, gate, false);
        }
        continue;
      }
      this.checkSignal();
      this.journal.currentStep = step.step;
      this.journal.status = "running";
      await this.save();
      this.options.progress(this.style.strong(`step ${step.step}: ${step.title}`));
      this.emit({ event: "step", phase: "started", step: step.step, title: step.title });
      try {
        for (const [index, change] of step.changes.entries()) await this.change(step, index, change);
        for (const gate of step.gates) await this.gate(step, gate, true);
        if (analysis && this.journal.analysis && analysis.gates(step.step)) {
          this.checkSignal();
          // Journalled whether it passes or not.
          await analysis
            .gate(step.step, this.journal.analysis, this.options.signal)
            .finally(() => this.save());
        }
      } catch (err) {
        this.emit({ event: "step", phase: "failed", step: step.step, title: step.title });
        throw err;
      }
      completed.push(step.step);
      await this.save();
      this.emit({ event: "step", phase: "passed", step: step.step, title: step.title });
    }
    this.journal.status = "done";
    await this.save();
    return "migrated";
  }

  private async gate(step: StoredStep, planned: Gate, record: boolean): Promise<void> {
    const gate = this.resolved(planned);
    this.checkSignal();
    const description = describeGate(gate);
    this.options.progress(`  gate: ${description}`);
    const started = Date.now();
    const about = { event: "gate", step: step.step, gate: gate.type, description } as const;
    this.emit({ ...about, phase: "started" });
    const ctx: GateContext = {
      ...this.gates,
      progress: (line) => {
        this.gates.progress(line);
        this.emit({ ...about, phase: "waiting", detail: line.trim(), elapsedMs: Date.now() - started });
      },
    };
    const outcome = await observeWithFaults(gate, ctx, () => observeGate(gate, ctx));
    this.emit({
      ...about,
      phase: outcome.passed ? "passed" : "failed",
      detail: outcome.detail,
      elapsedMs: Date.now() - started,
    });
    this.checkSignal();
    if (!outcome.passed) {
      throw new AmbientMigrateError(
        `step ${step.step} (${step.title}) of ${this.namespace}: "${describeGate(gate)}" did not pass within ${Math.round(this.options.timeoutMs / 1000)}s; last seen: ${outcome.detail}`,
        ExitCode.verificationFailed,
        `fix the cause, then resume with: ambient-migrate migrate -n ${this.namespace}   or undo with: ambient-migrate rollback ${this.namespace}`,
      );
    }
    this.options.progress(`  ${this.style.ok("passed")}: ${outcome.detail}`);
    if (record) {
      this.journal.gates.push({
        step: step.step,
        gate: gate.type,
        time: this.now().toISOString(),
        detail: outcome.detail,
      });
      await this.save();
    }
  }

  /** Gates that read a file of the run read it where the run writes it. */
  private resolved(gate: Gate): Gate {
    if (gate.type === "routes-equivalent")
      return { ...gate, reference: resolve(this.options.backupDir, gate.reference) };
    if (gate.type !== "backup-verified") return gate;
    return { ...gate, file: this.journal.backupFile ?? resolve(this.options.backupDir, gate.file) };
  }

  private async change(step: StoredStep, index: number, change: Change): Promise<void> {
    const handler = handlerOf(change);
    const id = `${step.step}.${index + 1}`;
    const known = this.journal.changes.find((c) => c.id === id);
    if (known?.state === "done") {
      this.options.progress(`  done earlier: ${changeCommands(change)[0]?.split("\n")[0]}`);
      return;
    }
    this.checkSignal();
    await this.checkGround();
    const entry: ChangeEntry = known ?? {
      id,
      step: step.step,
      type: change.type,
      target: handler.target(change),
      state: "intent",
      time: this.now().toISOString(),
    };
    if (!known) this.journal.changes.push(entry);
    for (const gate of handler.gatesBefore?.(change) ?? []) await this.gate(step, gate, true);
    const ctx: PerformContext = {
      port: this.port,
      entry,
      resumed: known !== undefined,
      run: this.journal,
      save: () => this.save(),
      out: this.options.out,
      progress: this.options.progress,
      now: this.now,
      backupDir: this.options.backupDir,
      toolVersion: this.options.toolVersion,
    };
    const skipped = await handler.perform(change, ctx);
    entry.state = "done";
    entry.doneTime = this.now().toISOString();
    if (skipped) entry.skipped = skipped;
    await this.save();
    const command = changeCommands(change)[0]?.split("\n")[0];
    this.emit({
      event: "change",
      phase: skipped ? "skipped" : "applied",
      step: step.step,
      id,
      type: change.type,
      target: entry.target,
      ...(command ? { command } : {}),
      ...(skipped ? { reason: skipped } : {}),
    });
    for (const gate of handler.gatesAfter?.(change) ?? []) await this.gate(step, gate, true);
  }
}

/** The steps a run with these options goes through (up to --to-step). */
function stepsToRun(plan: NamespacePlan, options: RunOptions): NamespacePlan["steps"] {
  const { toStep } = options;
  return toStep === undefined ? plan.steps : plan.steps.filter((s) => s.step <= toStep);
}

function printDryRun(plan: NamespacePlan, options: RunOptions): void {
  for (const step of stepsToRun(plan, options)) {
    options.out(`# step ${step.step}: ${step.title}`);
    for (const change of step.changes) for (const line of changeCommands(change)) options.out(line);
    for (const gate of step.gates) for (const line of gateVerify(gate)) options.out(`# then: ${line}`);
  }
}

/** Sends every change of the plan with server-side dry run: the apiserver validates and admits. */
async function serverDryRun(port: ClusterPort, plan: NamespacePlan, options: RunOptions): Promise<void> {
  const ctx: DryRunContext = { port, out: options.out };
  for (const step of stepsToRun(plan, options)) {
    options.out(`# step ${step.step}: ${step.title} (server dry run)`);
    for (const change of step.changes) {
      for (const line of changeCommands(change)) options.out(line);
      await handlerOf(change).serverDryRun(change, ctx);
    }
    for (const gate of step.gates) options.out(`# then: ${describeGate(gate)}`);
  }
}

/**
 * Migrates one namespace. `plan` comes from a fresh live inventory; an unfinished journal in
 * the namespace takes precedence (its stored plan, and what it already did).
 */
export async function migrateNamespace(
  port: ClusterPort,
  plan: NamespacePlan,
  options: RunOptions,
): Promise<RunResult> {
  const ns = plan.namespace;
  const now = () => (options.now?.() ?? new Date()).toISOString();
  options.events?.({ event: "namespace", phase: "started", namespace: ns, time: now() });
  try {
    const result = await migrateNamespaceRun(port, plan, options);
    options.events?.({ event: "namespace", phase: "passed", namespace: ns, time: now(), result });
    return result;
  } catch (err) {
    options.events?.({
      event: "namespace",
      phase: "failed",
      namespace: ns,
      time: now(),
      error: (err as Error).message,
    });
    throw err;
  }
}

async function migrateNamespaceRun(
  port: ClusterPort,
  plan: NamespacePlan,
  options: RunOptions,
): Promise<RunResult> {
  const ns = plan.namespace;
  if (options.dryRun === "client") {
    printDryRun(plan, options);
    return "dry-run";
  }
  const existing = await readJournal(port, ns);
  const unfinished = existing !== undefined && isUnfinished(existing);
  if (existing?.status === "done") {
    options.progress(
      `${ns}: already migrated (journal: ${journalSummary(existing)}, plan ${existing.digest})`,
    );
    return "already-migrated";
  }
  if (!unfinished) {
    if (plan.blocked) throw blockedError([plan]);
    if (plan.steps.length === 0) {
      options.progress(`${ns}: ${plan.notes[0] ?? "nothing to do"}`);
      return "nothing-to-do";
    }
  }
  if (options.dryRun === "server") {
    await serverDryRun(port, plan, options);
    return "dry-run";
  }

  // istiod must serve the migration: its injector answers (exit 8 before anything changes).
  const down = await istiodUnreachable(port, ns);
  if (down)
    throw prerequisiteMissing(
      `istiod unreachable: ${down}; nothing was changed`,
      "start istiod again (kubectl -n istio-system get deploy,pods -l app=istiod), then run migrate again",
    );

  const lock = await NamespaceLock.acquire(port, ns, options.holder, options.now?.() ?? new Date());
  const lost = new AbortController();
  lock.keepRenewed((err) => lost.abort(err), options.lockRenewIntervalMs);
  const signal = AbortSignal.any([options.signal, lost.signal]);
  let journal: Journal | undefined;
  try {
    // Read again under the lock: another run may have finished in between.
    const current = (await readJournal(port, ns)) ?? (await rebuiltJournal(port, ns, options));
    const resume = current !== undefined && isUnfinished(current);
    if (current?.status === "done") {
      options.progress(`${ns}: already migrated`);
      return "already-migrated";
    }
    if (current?.rollbackPending)
      throw new AmbientMigrateError(
        `${ns}: a rollback did not finish (${current.failure ?? "see the journal"}); migrate cannot go on from there`,
        ExitCode.conflict,
        `finish it first: ambient-migrate rollback ${ns}`,
      );
    if (resume && current) {
      journal = current;
      journal.holder = options.holder;
      const fresh = planDigest(storedSteps(plan));
      options.progress(
        `${ns}: resuming the run recorded in the journal (${journalSummary(current)}, plan ${current.digest})` +
          (plan.steps.length > 0 && fresh !== current.digest
            ? `; the cluster changed since it started, the plan it started with is followed`
            : ""),
      );
    } else {
      journal = newJournal(plan, options.holder, options.now?.() ?? new Date(), current);
      for (const moved of setAsideEarlierFiles(options.backupDir, ns, options.now?.() ?? new Date()))
        options.progress(`${ns}: a file of an earlier migration is kept aside, not reused: ${moved}`);
    }
    journal.failure = undefined;
    const outcome = await new Run(port, journal, { ...options, signal }, lock).run(resume);
    if (outcome === "migrated") options.progress(`${ns}: ${(options.style ?? PLAIN).ok("migrated")}`);
    return outcome;
  } catch (err) {
    // A run that lost its lock, or whose journal someone deleted or changed, writes no journal:
    // the other run owns it, or the tool would silently re-create what someone removed.
    const mayWrite = !lost.signal.aborted && !(err instanceof LockLost) && !(err instanceof JournalTampered);
    if (journal && mayWrite) {
      const wasInterrupted = options.signal.aborted;
      journal.status = wasInterrupted ? "interrupted" : "failed";
      journal.failure = wasInterrupted ? interruptedBy(options.signal) : (err as Error).message;
      const written = await writeJournal(port, journal).then(
        () => true,
        () => false,
      );
      await saveJournalCopy(options.backupDir, journal);
      if (written)
        options.events?.({
          event: "journal",
          phase: "written",
          namespace: ns,
          time: (options.now?.() ?? new Date()).toISOString(),
          status: journal.status,
          step: journal.currentStep,
        });
      if (wasInterrupted && !(err instanceof AmbientMigrateError && err.exitCode === ExitCode.interrupted))
        throw interrupted(ns, journal.currentStep);
    }
    // The renewal found the lock taken while the run waited: that, not an interruption, stopped it.
    if (lost.signal.aborted && !options.signal.aborted) throw lost.signal.reason;
    throw err;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/**
 * No journal in the namespace: when the tool's traces show a migration under way, the copy in
 * --backup-dir is written back (and followed); without a copy the run refuses (exit 10).
 */
async function rebuiltJournal(
  port: ClusterPort,
  ns: string,
  options: RunOptions,
): Promise<Journal | undefined> {
  const traces = await migrationTraces(port, ns);
  if (traces.length === 0) return undefined;
  const copy = readJournalCopy(options.backupDir, ns);
  if (!copy || !isUnfinished(copy)) throw journalLost(ns, options.backupDir, traces);
  await writeJournal(port, copy);
  options.progress(
    `${ns}: rebuilt the journal of ${ns} from ${journalCopyPath(options.backupDir, ns)} (its ConfigMap was gone; found ${traces.join(", ")})`,
  );
  return copy;
}

/** A run to resume: not finished, and not rolled back all the way (that starts afresh). */
function isUnfinished(journal: Journal): boolean {
  return journal.status !== "done" && !(journal.status === "rolled-back" && journal.changes.length === 0);
}

export function blockedError(plans: readonly NamespacePlan[]): AmbientMigrateError {
  const blocked = plans.filter((p) => p.blocked);
  return new AmbientMigrateError(
    `blocked: ${blocked.map((p) => p.namespace).join(", ")} cannot be migrated yet; nothing was changed`,
    ExitCode.blockersFound,
    "resolve the blockers (ambient-migrate assess lists them), then run migrate again",
    blocked.flatMap((p) => p.blockers.map((b) => `${p.namespace}: ${b.message}`)),
  );
}
