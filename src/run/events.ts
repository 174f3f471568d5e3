// Structured progress of a run, for machines: `migrate -o json` and `rollback -o json` write one
// JSON object per line (NDJSON) as things happen, for CI logs and controllers. docs/events.schema.json is the
// contract (a test validates what a real run emits against it).

type Phase = "started" | "waiting" | "passed" | "failed";

interface Base {
  /** ISO 8601 time of the event. */
  time: string;
  namespace: string;
}

export type RunEvent =
  | (Base & { event: "namespace"; phase: "started" | "passed" | "failed"; result?: string; error?: string })
  | (Base & { event: "step"; phase: "started" | "passed" | "failed"; step: number; title: string })
  | (Base & {
      event: "gate";
      phase: Phase;
      step: number;
      gate: string;
      description: string;
      detail?: string;
      /** Since the gate started (waiting, passed, failed). */
      elapsedMs?: number;
    })
  | (Base & {
      event: "change";
      /** migrate: applied or skipped (found made already); rollback: undone, or skipped (left alone). */
      phase: "applied" | "skipped" | "undone";
      step: number;
      /** "<step>.<index>", as in the journal. */
      id: string;
      type: string;
      target: string;
      /** The first line of its kubectl equivalent. */
      command?: string;
      reason?: string;
    })
  | (Base & { event: "journal"; phase: "written"; status: string; step: number });

export type EventSink = (event: RunEvent) => void;

/** One namespace in the run's summary. */
export interface SummaryRow {
  namespace: string;
  /** With --waves: the wave it belongs to. */
  wave?: number;
  /** The namespace's result, "failed", or "not started" (an earlier wave failed, or interrupted). */
  result: string;
  /** When it failed: the code it would have exited with on its own, and why. */
  exitCode?: number;
  error?: string;
}

/** The last line of a run that got to the end: every namespace's outcome and the exit code. */
export interface SummaryEvent {
  time: string;
  event: "summary";
  phase: "finished";
  exitCode: number;
  namespaces: SummaryRow[];
  /** With --waves: the waves, in order, and why each is where it is. */
  waves?: { wave: number; namespaces: string[]; why: string[] }[];
}

/** Omit over each member of a union (the built-in Omit merges them). */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** One line of NDJSON (observability --apply's events too). */
export function eventLine(event: RunEvent | SummaryEvent | { time: string; event: string }): string {
  return `${JSON.stringify(event)}\n`;
}
