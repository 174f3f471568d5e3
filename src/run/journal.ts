// The journal of a migration run, kept IN the cluster (ConfigMap ambient-migrate-journal in the
// namespace) so that any machine can resume or roll back what another one started. Every change
// is recorded as an intent before it is made and marked done after, so a crash in between leaves
// enough to finish it idempotently. The plan itself is stored with it: a resumed run follows the
// plan it started with (a plan rebuilt mid-migration no longer shows the steps already done,
// nor the values they replaced).

import { createHash } from "node:crypto";
import type { AnalysisRecord } from "../analysis/gate.js";
import type { Change, ChangeEntry } from "../changes/index.js";
import type { ClusterPort } from "../cluster/port.js";
import type { Gate } from "../gates/index.js";
import type { ObjectRef } from "../inventory/identity.js";
import type { KubeObject } from "../inventory/model.js";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../ownership.js";
import type { NamespacePlan, Step } from "../plan/model.js";
import type { StepNumber } from "../plan/steps.js";

export type { ChangeEntry } from "../changes/index.js";

export const JOURNAL_NAME = "ambient-migrate-journal";
const DATA_KEY = "journal.json";

/** `paused`: stopped after the step `migrate --to-step` named; a later migrate goes on. */
type RunStatus = "running" | "paused" | "failed" | "interrupted" | "done" | "rolled-back";

/** The part of the plan the executor follows, as stored in the journal. */
export interface StoredStep {
  step: StepNumber;
  title: string;
  changes: Change[];
  gates: Gate[];
}

interface GateEntry {
  step: StepNumber;
  gate: string;
  time: string;
  detail: string;
}

interface RollbackRecord {
  time: string;
  toStep: number;
  undone: ChangeEntry[];
  verified: boolean;
}

export interface Journal {
  namespace: string;
  digest: string;
  status: RunStatus;
  /** The step being worked on (running/failed/interrupted), or the last one completed. */
  currentStep: number;
  /** Steps whose changes are done and whose gates passed. */
  completedSteps: StepNumber[];
  startedAt: string;
  updatedAt: string;
  holder: string;
  backupFile?: string;
  failure?: string;
  /** A rollback stopped before its restarts (injection would fail): only rollback may go on. */
  rollbackPending?: boolean;
  steps: StoredStep[];
  changes: ChangeEntry[];
  gates: GateEntry[];
  rollbacks: RollbackRecord[];
  /** migrate --analysis / --slo: the baselines and every analysis result. */
  analysis?: AnalysisRecord;
}

/** The planned change a journal entry records ("<step>.<index>"). */
export function plannedChange(journal: Journal, id: string): Change | undefined {
  const [step, index] = id.split(".").map(Number);
  return journal.steps.find((s) => s.step === step)?.changes[(index ?? 0) - 1];
}

export function journalRef(namespace: string): ObjectRef {
  return { apiVersion: "v1", kind: "ConfigMap", namespace, name: JOURNAL_NAME };
}

/** sha256 of the changes and gates: what a run agreed to do. */
export function planDigest(steps: readonly StoredStep[]): string {
  return createHash("sha256")
    .update(JSON.stringify(steps.map((s) => [s.step, s.changes, s.gates])))
    .digest("hex")
    .slice(0, 16);
}

export function storedSteps(plan: NamespacePlan): StoredStep[] {
  return plan.steps.map((s: Step) => ({
    step: s.step,
    title: s.title,
    changes: s.changes,
    gates: s.gates,
  }));
}

export function newJournal(plan: NamespacePlan, holder: string, now: Date, earlier?: Journal): Journal {
  const steps = storedSteps(plan);
  const time = now.toISOString();
  return {
    namespace: plan.namespace,
    digest: planDigest(steps),
    status: "running",
    currentStep: steps[0]?.step ?? 0,
    completedSteps: [],
    startedAt: time,
    updatedAt: time,
    holder,
    steps,
    changes: [],
    gates: [],
    rollbacks: earlier?.rollbacks ?? [],
  };
}

/** Reads the journal from a ConfigMap; undefined when it is absent or not ours. */
export function journalFromConfigMap(cm: KubeObject | undefined): Journal | undefined {
  const text = (cm?.data as Record<string, string> | undefined)?.[DATA_KEY];
  if (!text) return undefined;
  return JSON.parse(text) as Journal;
}

export async function readJournal(port: ClusterPort, namespace: string): Promise<Journal | undefined> {
  return journalFromConfigMap(await port.get(journalRef(namespace)));
}

export function journalConfigMap(journal: Journal): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: JOURNAL_NAME,
      namespace: journal.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
      annotations: {
        "ambient-migrate.io/status": journal.status,
        "ambient-migrate.io/step": String(journal.currentStep),
      },
    },
    data: { [DATA_KEY]: JSON.stringify(journal, null, 1) },
  };
}

/** Writes the journal (server-side apply: create or replace, one call). */
export async function writeJournal(
  port: ClusterPort,
  journal: Journal,
  now: Date = new Date(),
): Promise<KubeObject> {
  journal.updatedAt = now.toISOString();
  return port.apply(journalConfigMap(journal), { force: true });
}

/** What `status` shows for a namespace with a journal. */
export function journalSummary(journal: Journal): string {
  switch (journal.status) {
    case "done":
      return "migrated";
    case "failed":
      return `failed at step ${journal.currentStep}`;
    case "interrupted":
      return `interrupted at step ${journal.currentStep}`;
    case "running":
      return `at step ${journal.currentStep}`;
    case "paused":
      return `paused after step ${journal.currentStep} (--to-step)`;
    case "rolled-back": {
      const last = journal.rollbacks.at(-1);
      return last && last.toStep > 0 ? `rolled back to step ${last.toStep}` : "rolled back";
    }
  }
}
