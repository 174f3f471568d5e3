// One reconciliation of one AmbientMigration, the cluster I/O around decide(): read the object,
// the cluster and each namespace's journal; write the status; carry out at most one action with
// the CLI's own engine (migrateGated with --to-step for one step, rollbackNamespace), under the
// same per-namespace lock and journal, so that `ambient-migrate status`, `migrate` and `rollback`
// see and continue what the controller did, and the other way round.

import { AnalysisGate, prometheusQuery } from "../analysis/gate.js";
import { analysisFrom } from "../analysis/load.js";
import type { Analysis } from "../analysis/model.js";
import { serviceTargets } from "../analysis/targets.js";
import type { ClusterPort } from "../cluster/port.js";
import { readCluster } from "../inventory/from-cluster.js";
import { labelsOf } from "../inventory/model.js";
import { parseSelector } from "../inventory/selector.js";
import { planNamespaces } from "../plan/build.js";
import type { Plan } from "../plan/model.js";
import type { PlanOptions } from "../plan/options.js";
import type { StepNumber } from "../plan/steps.js";
import { migrateGated } from "../run/gated.js";
import { readJournal } from "../run/journal.js";
import { rollbackNamespace } from "../run/rollback.js";
import { wavesOf } from "../waves/waves.js";
import { type Action, type Decision, decide, type NamespaceFacts } from "./decide.js";
import {
  API_VERSION,
  InvalidSpec,
  KIND,
  type MigrationSpec,
  type MigrationStatus,
  specOf,
} from "./resource.js";

export const FIELD_MANAGER = "ambient-migrate-controller";

export interface ReconcilerOptions {
  port: ClusterPort;
  /** This replica's identity: the holder of the namespace locks it takes. */
  holder: string;
  backupDir: string;
  /** Per gate. */
  timeoutMs: number;
  toolVersion: string;
  /** The plan options of a spec: the CLI's own flags builder (cli/plan-flags.ts). */
  planOptions: (spec: MigrationSpec) => PlanOptions;
  log: (line: string) => void;
  now?: () => Date;
}

/** What the work queue does next with this migration. */
export type Outcome = { next: "again" } | { next: "wait" } | { next: "retry"; error: Error; action?: Action };

/** spec.analysis as an analysis document (docs/analysis.md); apiVersion and kind may be left out. */
export function analysisOf(spec: MigrationSpec): Analysis | undefined {
  if (spec.analysis === undefined) return undefined;
  const doc = { apiVersion: "ambient-migrate.io/v1alpha1", kind: "Analysis", ...(spec.analysis as object) };
  return analysisFrom(doc, "spec.analysis of the AmbientMigration");
}

function migrationRef(name: string) {
  return { apiVersion: API_VERSION, kind: KIND, name };
}

interface Observed {
  decision: Decision;
  plan: Plan;
  inventory: Awaited<ReturnType<typeof readCluster>>;
  spec: MigrationSpec;
}

export class Reconciler {
  constructor(private readonly options: ReconcilerOptions) {}

  private get now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Reads the migration and the cluster, decides and writes the status; undefined when the object is gone. */
  private async observe(name: string): Promise<Observed | undefined> {
    const { port } = this.options;
    const object = await port.get(migrationRef(name));
    if (!object) return undefined;
    const generation = Number(object.metadata.generation ?? 0);
    const previous = object.status as MigrationStatus | undefined;
    let spec: MigrationSpec;
    try {
      spec = specOf(object);
    } catch (err) {
      if (!(err instanceof InvalidSpec)) throw err;
      await this.writeStatus(name, previous, {
        observedGeneration: generation,
        phase: "Invalid",
        message: err.message,
        namespaces: previous?.namespaces ?? [],
      });
      return undefined;
    }
    const inventory = await readCluster(port);
    const known = inventory.namespaceNames();
    const selected = spec.selector
      ? known
          .filter((n) => parseSelector(spec.selector as string)(labelsOf(inventory.namespaceObject(n))))
          .sort()
      : (spec.namespaces ?? []);
    const present = selected.filter((n) => known.includes(n));
    const plan = planNamespaces(inventory, present, this.options.planOptions(spec));
    const waveOf = new Map<string, number>();
    if (spec.waves)
      for (const w of wavesOf(inventory, plan)) for (const ns of w.namespaces) waveOf.set(ns, w.wave);
    const facts: NamespaceFacts[] = await Promise.all(
      selected.map(async (ns): Promise<NamespaceFacts> => {
        const nsPlan = plan.namespaces.find((p) => p.namespace === ns);
        const journal = nsPlan ? await readJournal(port, ns) : undefined;
        return {
          namespace: ns,
          // Namespaces with no step left are in no wave: they count as the first.
          wave: waveOf.get(ns) ?? 1,
          ...(journal ? { journal } : {}),
          plan: nsPlan
            ? {
                blocked: nsPlan.blocked,
                blockers: nsPlan.blockers.map((b) => b.message),
                steps: nsPlan.steps.map((s) => s.step),
                ...(nsPlan.notes[0] ? { note: nsPlan.notes[0] } : {}),
              }
            : { blocked: true, blockers: [`namespace ${ns} does not exist`], steps: [] },
        };
      }),
    );
    const decision = decide(spec, generation, facts, this.now, previous);
    await this.writeStatus(name, previous, decision.status);
    return { decision, plan, inventory, spec };
  }

  /** Server-side apply of the status subresource; skipped when nothing changed (no event storm). */
  private async writeStatus(
    name: string,
    previous: MigrationStatus | undefined,
    status: MigrationStatus,
  ): Promise<void> {
    if (JSON.stringify(previous) === JSON.stringify(status)) return;
    await this.options.port.apply(
      { apiVersion: API_VERSION, kind: KIND, metadata: { name }, status },
      { subresource: "status", fieldManager: FIELD_MANAGER, force: true },
    );
  }

  /** One reconciliation: at most one step of one namespace, or one namespace's rollback. */
  async reconcile(name: string, signal: AbortSignal): Promise<Outcome> {
    const observed = await this.observe(name);
    const action = observed?.decision.action;
    if (!observed || !action) return { next: "wait" };
    const say = (line: string) => this.options.log(`${name}/${action.namespace}: ${line}`);
    try {
      if (action.type === "rollback") await this.rollback(action.namespace, signal, say);
      else await this.migrateStep(observed, action.namespace, action.step, signal, say);
      return { next: "again" };
    } catch (err) {
      say(`failed: ${(err as Error).message}`);
      // The journal records the failure; the status shows it before the retry.
      if (!signal.aborted) await this.observe(name).catch(() => undefined);
      return { next: "retry", error: err as Error, action };
    }
  }

  private async migrateStep(
    observed: Observed,
    namespace: string,
    step: StepNumber,
    signal: AbortSignal,
    say: (line: string) => void,
  ): Promise<void> {
    const nsPlan = observed.plan.namespaces.find((p) => p.namespace === namespace);
    if (!nsPlan) throw new Error(`${namespace} is not in the plan`);
    const analysis = analysisOf(observed.spec);
    const gate = analysis
      ? new AnalysisGate(
          analysis,
          namespace,
          serviceTargets(observed.inventory, nsPlan),
          prometheusQuery(analysis),
          say,
        )
      : undefined;
    say(`step ${step}`);
    const result = await migrateGated(this.options.port, nsPlan, {
      timeoutMs: this.options.timeoutMs,
      dryRun: "none",
      holder: this.options.holder,
      backupDir: this.options.backupDir,
      signal,
      out: say,
      progress: say,
      toolVersion: this.options.toolVersion,
      toStep: step,
      ...(gate ? { analysis: gate } : {}),
    });
    say(result === "paused" ? `step ${step} done` : result);
  }

  private async rollback(namespace: string, signal: AbortSignal, say: (line: string) => void): Promise<void> {
    say("rolling back (spec.rollback: true)");
    const result = await rollbackNamespace(this.options.port, namespace, {
      toStep: 0,
      backupDir: this.options.backupDir,
      overwrite: false,
      timeoutMs: this.options.timeoutMs,
      holder: this.options.holder,
      signal,
      out: say,
      progress: say,
    });
    say(`rolled back (${result.undone} change(s) undone)`);
  }
}
