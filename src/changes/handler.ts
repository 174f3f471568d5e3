// What a change type must say and do, in one module per type (registered in index.ts): the
// kubectl lines a person reads, how the executor makes it, sends it with server-side dry run,
// records it in the journal, and how rollback undoes it.

import type { ClusterPort } from "../cluster/port.js";
import type { Gate } from "../gates/index.js";
import type { KubeObject } from "../inventory/model.js";

/**
 * The journal's record of one change. Common fields first; the others are written by the
 * handler of the change type named, and read back by its undo.
 */
export interface ChangeEntry {
  /** "<step>.<index>": the change's place in the stored plan. */
  id: string;
  step: number;
  type: string;
  target: string;
  state: "intent" | "done";
  /** When the intent was recorded, and when it was done. */
  time: string;
  doneTime?: string;
  /** Nothing to do (label already set, object already gone). */
  skipped?: string;
  /** label, template-metadata: the value before this run changed it (null = absent). */
  previous?: string | null;
  /** apply: whether the object existed before, and its content then (server fields stripped). */
  existed?: boolean;
  previousObject?: KubeObject;
  /** delete / backup: the backup file holding the object. */
  backupFile?: string;
  /** restart: the restartedAt value stamped (re-stamping the same value starts no new rollout). */
  restartedAt?: string;
  /** restart by deleting pods: the pods deleted. */
  pods?: string[];
}

/** What a run has recorded that changes depend on (the journal). */
interface RunRecord {
  /** Where step 5's backup was written. */
  backupFile?: string;
  /** The gates that passed in this run. */
  gates: { gate: string }[];
}

export interface PerformContext {
  port: ClusterPort;
  /** This change's journal entry: record what undo needs in it, then save(). */
  entry: ChangeEntry;
  /** The entry was there before: a run that stopped mid-change is finishing it. */
  resumed: boolean;
  run: RunRecord;
  save(): Promise<void>;
  /** The kubectl equivalents, printed as the change is made. */
  out(line: string): void;
  progress(line: string): void;
  now(): Date;
  backupDir: string;
  toolVersion: string;
}

export interface DryRunContext {
  port: ClusterPort;
  out(line: string): void;
}

export interface UndoContext {
  port: ClusterPort;
  /** The journal entry the run wrote while making the change. */
  entry: ChangeEntry;
  overwrite: boolean;
  out(line: string): void;
  progress(line: string): void;
  /** Backed-up objects left alone because a newer object of that name exists. */
  skipped: string[];
}

export interface ChangeHandler<C extends { type: string }> {
  /** The kubectl/istioctl lines that make the change by hand (plan's "commands"). */
  commands(change: C): string[];
  /** The kubectl lines that undo it, with the values the plan's input showed (plan's "rollback"). */
  rollback(change: C): string[];
  /** The journal's name for what the change touches. */
  target(change: C): string;
  /** Gates observed before the change is made, and after it (before the next change). */
  gatesBefore?(change: C): Gate[];
  gatesAfter?(change: C): Gate[];
  /** Makes the change idempotently; returns why nothing was needed, if so. */
  perform(change: C, ctx: PerformContext): Promise<string | undefined>;
  /** Sends the change with server-side dry run: the apiserver validates and admits it. */
  serverDryRun(change: C, ctx: DryRunContext): Promise<void>;
  /** Undoes the change as the journal entry recorded it. */
  undo(change: C, ctx: UndoContext): Promise<void>;
}
