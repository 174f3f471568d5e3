// The executor: carries out one namespace's plan on the live cluster, step by step, through the
// cluster port only. Each change is journalled as an intent before it is made and marked done
// after; each gate is observed before the next change. A resumed run follows the journal's
// stored plan, skips what is done, re-checks the last completed step's gates, and finishes any
// change left at "intent" idempotently.

import { existsSync, readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { collectBackup, identity, readBackup, writeVerifiedBackup } from "../backup/backup.js";
import { stripServerFields } from "../backup/strip.js";
import {
  type ClusterPort,
  type LabelValues,
  type PatchLabelsResult,
  templateMetadataOf,
} from "../cluster/port.js";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { K, kindInfo } from "../inventory/kinds.js";
import { type KubeObject, labelsOf } from "../inventory/model.js";
import { type Change, type Gate, type NamespacePlan, refOf } from "../plan/model.js";
import { changeCommands, gateVerify } from "../plan/render-kubectl.js";
import { describeGate, type GateContext, observeGate } from "./gates.js";
import {
  type ChangeEntry,
  type Journal,
  journalSummary,
  newJournal,
  planDigest,
  readJournal,
  type StoredStep,
  storedSteps,
  writeJournal,
} from "./journal.js";
import { NamespaceLock } from "./lock.js";
import { freshRestartStamp } from "./restart.js";

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
  toolVersion: string;
  ztunnelIntervalMs?: number;
  now?: () => Date;
}

export type RunResult = "migrated" | "already-migrated" | "nothing-to-do" | "dry-run";

export function interrupted(namespace: string, step: number): AmbientMigrateError {
  return new AmbientMigrateError(
    `interrupted during step ${step} of ${namespace}; the journal records where it stopped`,
    ExitCode.interrupted,
    `resume with: ambient-migrate migrate -n ${namespace}   or undo with: ambient-migrate rollback ${namespace}`,
  );
}

class Run {
  private readonly now: () => Date;
  private readonly gates: GateContext;

  constructor(
    private readonly port: ClusterPort,
    private readonly journal: Journal,
    private readonly options: RunOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.gates = {
      port,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      progress: options.progress,
      ztunnelIntervalMs: options.ztunnelIntervalMs ?? 2000,
    };
  }

  private get namespace(): string {
    return this.journal.namespace;
  }

  private save(): Promise<void> {
    return writeJournal(this.port, this.journal, this.now());
  }

  private checkSignal(): void {
    if (this.options.signal.aborted) throw interrupted(this.namespace, this.journal.currentStep);
  }

  async run(resumed: boolean): Promise<void> {
    const completed = this.journal.completedSteps;
    const lastCompleted = Math.max(0, ...completed);
    for (const step of this.journal.steps) {
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
      this.options.progress(`step ${step.step}: ${step.title}`);
      for (const [index, change] of step.changes.entries()) await this.change(step, index, change);
      for (const gate of step.gates) await this.gate(step, gate, true);
      completed.push(step.step);
      await this.save();
    }
    this.journal.status = "done";
    await this.save();
  }

  private async gate(step: StoredStep, planned: Gate, record: boolean): Promise<void> {
    const gate = this.resolved(planned);
    this.checkSignal();
    this.options.progress(`  gate: ${describeGate(gate)}`);
    const outcome = await observeGate(gate, this.gates);
    this.checkSignal();
    if (!outcome.passed) {
      throw new AmbientMigrateError(
        `step ${step.step} (${step.title}) of ${this.namespace}: "${describeGate(gate)}" did not pass within ${Math.round(this.options.timeoutMs / 1000)}s; last seen: ${outcome.detail}`,
        ExitCode.verificationFailed,
        `fix the cause, then resume with: ambient-migrate migrate -n ${this.namespace}   or undo with: ambient-migrate rollback ${this.namespace}`,
      );
    }
    this.options.progress(`  passed: ${outcome.detail}`);
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

  /** The backup gate checks the file where it was actually written. */
  private resolved(gate: Gate): Gate {
    if (gate.type !== "backup-verified") return gate;
    return { ...gate, file: this.journal.backupFile ?? resolve(this.options.backupDir, gate.file) };
  }

  private async change(step: StoredStep, index: number, change: Change): Promise<void> {
    const id = `${step.step}.${index + 1}`;
    const known = this.journal.changes.find((c) => c.id === id);
    if (known?.state === "done") {
      this.options.progress(`  done earlier: ${changeCommands(change)[0]?.split("\n")[0]}`);
      return;
    }
    this.checkSignal();
    const entry: ChangeEntry = known ?? {
      id,
      step: step.step,
      type: change.type,
      target: target(change),
      state: "intent",
      time: this.now().toISOString(),
    };
    if (!known) this.journal.changes.push(entry);
    if (change.type === "apply" && change.waitBefore) await this.gate(step, change.waitBefore, true);
    const skipped = await this.perform(change, entry, known !== undefined);
    entry.state = "done";
    entry.doneTime = this.now().toISOString();
    if (skipped) entry.skipped = skipped;
    await this.save();
    if (change.type === "apply" || change.type === "backup") {
      if (change.waitFor) await this.gate(step, change.waitFor, true);
    }
  }

  /**
   * A verified backup of one object that changed after the namespace's backup was written,
   * named by its resourceVersion so that a resumed run reuses the file it wrote before.
   */
  private backupOfChanged(file: string, current: KubeObject): string {
    const { kind, metadata } = current;
    const path = `${file.replace(/\.(ya?ml|json)$/, "")}.${kind.toLowerCase()}-${metadata.name}-rv${metadata.resourceVersion ?? "0"}.yaml`;
    if (!existsSync(path)) {
      writeVerifiedBackup(
        path,
        {
          cluster: this.port.server,
          context: this.port.context,
          time: this.now().toISOString(),
          toolVersion: this.options.toolVersion,
          namespaces: [metadata.namespace ?? ""],
        },
        [stripServerFields(current)],
      );
      this.options.progress(
        `  ${kind}/${metadata.name} changed since the backup: backed up again in ${path}`,
      );
    }
    return path;
  }

  /**
   * Sets or removes one key of a string map (namespace labels, pod template metadata): skipped
   * when it already has the value; the value replaced is journalled (the first run's, on resume).
   */
  private async setValue(
    change: Extract<Change, { type: "label" | "template-metadata" }>,
    entry: ChangeEntry,
    resumed: boolean,
    read: (object: KubeObject) => Record<string, string>,
    patch: (values: LabelValues) => Promise<PatchLabelsResult>,
    where = "",
  ): Promise<string | undefined> {
    const object = await this.port.get(change.target);
    if (!object) throw new AmbientMigrateError(`${entry.target} not found`, ExitCode.notFound);
    const current = read(object)[change.key] ?? null;
    if (!resumed) entry.previous = current;
    await this.save();
    if (current === change.value)
      return change.value === null
        ? `${change.key} already absent${where}`
        : `${change.key} already ${change.value}${where}`;
    for (const line of changeCommands(change)) this.options.out(line);
    const result = await patch({ [change.key]: change.value });
    if (!resumed) entry.previous = result.previous[change.key] ?? null;
    return undefined;
  }

  /** Makes one change idempotently; returns why nothing was needed, if so. */
  private async perform(change: Change, entry: ChangeEntry, resumed: boolean): Promise<string | undefined> {
    const { port } = this;
    const print = (lines: string[]) => {
      for (const l of lines) this.options.out(l);
    };
    switch (change.type) {
      case "label":
        return this.setValue(change, entry, resumed, labelsOf, (values) =>
          port.patchLabels(change.target, values),
        );
      case "template-metadata":
        return this.setValue(
          change,
          entry,
          resumed,
          (object) => templateMetadataOf(object, change.field),
          (values) => port.patchTemplateMetadata(change.target, change.field, values),
          ` in the pod template's ${change.field}`,
        );
      case "apply": {
        const ref = refOf(change.object);
        if (!resumed) {
          const existing = await port.get(ref);
          entry.existed = existing !== undefined;
          if (existing) entry.previousObject = stripServerFields(existing);
        }
        await this.save();
        print(
          changeCommands({
            type: "apply",
            object: change.object,
            reason: change.reason,
            created: change.created,
          }),
        );
        await port.apply(change.object, { force: true });
        return undefined;
      }
      case "backup": {
        const file = this.journal.backupFile ?? resolve(this.options.backupDir, change.file);
        this.journal.backupFile = file;
        entry.backupFile = file;
        await this.save();
        print(changeCommands(change).slice(0, 1));
        if (existsSync(file)) {
          // Written by this run before it stopped: writeVerifiedBackup renames a verified file into place.
          return `backup ${file} was written before`;
        }
        rmSync(`${file}.partial`, { force: true });
        const collected = await collectBackup(port, [change.namespace]);
        writeVerifiedBackup(
          file,
          {
            cluster: port.server,
            context: port.context,
            time: this.now().toISOString(),
            toolVersion: this.options.toolVersion,
            namespaces: [change.namespace],
          },
          collected.objects,
        );
        this.options.progress(`  backup written: ${file} (${collected.objects.length} objects)`);
        return undefined;
      }
      case "delete": {
        // Step 5 deletes only once the backup gate of this run has passed, and only what the backup holds.
        if (!this.journal.gates.some((g) => g.gate === "backup-verified") || !this.journal.backupFile)
          throw new AmbientMigrateError(
            `refusing to delete ${entry.target}: no verified backup recorded`,
            ExitCode.verificationFailed,
            "the backup step must pass first",
          );
        const file = this.journal.backupFile;
        entry.backupFile ??= file;
        const wanted = identity({
          apiVersion: change.target.apiVersion,
          kind: change.target.kind,
          metadata: { name: change.target.name, namespace: change.target.namespace },
        });
        const saved = readBackup(readFileSync(file, "utf8"), file).find((o) => identity(o) === wanted);
        if (!saved)
          throw new AmbientMigrateError(
            `refusing to delete ${entry.target}: it is not in the backup ${file}`,
            ExitCode.verificationFailed,
          );
        const current = await port.get(change.target);
        if (current && !isDeepStrictEqual(stripServerFields(current), saved)) {
          // Changed since the backup was taken: what is deleted must be what is backed up, so
          // this version gets a verified backup of its own, which rollback then restores.
          entry.backupFile = this.backupOfChanged(file, current);
        }
        await this.save();
        if (!current) return "already absent";
        print(changeCommands(change));
        const rv = current.metadata.resourceVersion;
        await port.delete(change.target, rv ? { resourceVersion: rv } : {});
        return undefined;
      }
      case "restart": {
        if (change.method === "rollout-restart") {
          entry.restartedAt ??= await freshRestartStamp(port, change.target, this.now());
          await this.save();
          print(changeCommands(change));
          // Stamping the same restartedAt again changes nothing: a resumed restart starts no second rollout.
          await port.restart(change.target, { at: new Date(entry.restartedAt) });
          return undefined;
        }
        if (!entry.pods) {
          const selector = Object.entries(change.podSelector ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(",");
          const pods = await port.list(kindInfo(K.Pod), change.target.namespace, { labelSelector: selector });
          entry.pods = pods.items.map((p) => p.metadata.name);
        }
        await this.save();
        print(changeCommands(change));
        for (const name of entry.pods)
          await port.delete({ apiVersion: "v1", kind: "Pod", namespace: change.target.namespace, name });
        return undefined;
      }
    }
  }
}

function target(change: Change): string {
  const ref =
    change.type === "apply"
      ? refOf(change.object)
      : change.type === "backup"
        ? { kind: "backup", name: change.file, namespace: change.namespace }
        : change.target;
  return `${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
}

function printDryRun(plan: NamespacePlan, options: RunOptions): void {
  for (const step of plan.steps) {
    options.out(`# step ${step.step}: ${step.title}`);
    for (const change of step.changes) for (const line of changeCommands(change)) options.out(line);
    for (const gate of step.gates) for (const line of gateVerify(gate)) options.out(`# then: ${line}`);
  }
}

/** Sends every change of the plan with server-side dry run: the apiserver validates and admits. */
async function serverDryRun(port: ClusterPort, plan: NamespacePlan, options: RunOptions): Promise<void> {
  for (const step of plan.steps) {
    options.out(`# step ${step.step}: ${step.title} (server dry run)`);
    for (const change of step.changes) {
      for (const line of changeCommands(change)) options.out(line);
      switch (change.type) {
        case "label":
          await port.patchLabels(change.target, { [change.key]: change.value }, { dryRun: true });
          break;
        case "template-metadata":
          await port.patchTemplateMetadata(
            change.target,
            change.field,
            { [change.key]: change.value },
            { dryRun: true },
          );
          break;
        case "apply":
          await port.apply(change.object, { dryRun: true, force: true });
          break;
        case "backup":
          options.out("# (the backup file is not written in a dry run)");
          break;
        case "delete":
          await port.delete(change.target, { dryRun: true });
          break;
        case "restart":
          if (change.method === "rollout-restart") await port.restart(change.target, { dryRun: true });
          break;
      }
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

  const lock = await NamespaceLock.acquire(port, ns, options.holder, options.now?.() ?? new Date());
  const lost = new AbortController();
  lock.keepRenewed((err) => lost.abort(err));
  const signal = AbortSignal.any([options.signal, lost.signal]);
  let journal: Journal | undefined;
  try {
    // Read again under the lock: another run may have finished in between.
    const current = await readJournal(port, ns);
    const resume = current !== undefined && isUnfinished(current);
    if (current?.status === "done") {
      options.progress(`${ns}: already migrated`);
      return "already-migrated";
    }
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
    }
    journal.failure = undefined;
    await new Run(port, journal, { ...options, signal }).run(resume);
    options.progress(`${ns}: migrated`);
    return "migrated";
  } catch (err) {
    if (journal) {
      const wasInterrupted = options.signal.aborted;
      journal.status = wasInterrupted ? "interrupted" : "failed";
      journal.failure = wasInterrupted ? "interrupted by a signal" : (err as Error).message;
      await writeJournal(port, journal).catch(() => undefined);
      if (wasInterrupted && !(err instanceof AmbientMigrateError && err.exitCode === ExitCode.interrupted))
        throw interrupted(ns, journal.currentStep);
      if (lost.signal.aborted && !wasInterrupted) throw lost.signal.reason;
    }
    throw err;
  } finally {
    await lock.release().catch(() => undefined);
  }
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
