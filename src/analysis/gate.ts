// The analysis as a gate of the run: the baseline before step 1, the analysis after each gated
// step, and what the journal keeps of them. A failed or inconclusive analysis stops the run with
// exit 9; the journal's failure says which check, its value and its condition.

import { AmbientMigrateError, ExitCode } from "../errors.js";
import { PrometheusClient } from "../prometheus/client.js";
import { checksAt, checksFor } from "./checks.js";
import {
  type AnalysisResult,
  analysisVerdict,
  type Baselines,
  type Clock,
  captureBaselines,
  type Phase,
  type Query,
  runAnalysis,
} from "./judge.js";
import { type Analysis, BEFORE_MIGRATION, type Check, type ServiceTarget } from "./model.js";

/** What the journal keeps of the analysis. */
export interface AnalysisRecord {
  source: string;
  onFailure: Analysis["onFailure"];
  steps: number[];
  /** The Services judged, as the run that took the baseline saw them (a resumed run keeps them). */
  services: ServiceTarget[];
  baselines: Baselines;
  baselineTime: string;
  results: {
    step: number;
    phase: Phase;
    verdict: string;
    time: string;
    checks: { key: string; phase: Phase; detail: string }[];
  }[];
}

/** A failed or inconclusive analysis: exit 9, with the result for the caller (rollback or not). */
export class AnalysisFailed extends AmbientMigrateError {
  constructor(
    message: string,
    readonly result: AnalysisResult,
    hint: string,
  ) {
    super(message, ExitCode.verificationFailed, hint);
  }
}

const realClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
    }),
};

/** Prometheus queries with the analysis's address, bearer token and TLS settings. */
export function prometheusQuery(analysis: Analysis): Query {
  const client = PrometheusClient.connect(analysis.prometheus);
  return (expr) => client.query(expr);
}

export class AnalysisGate {
  checks: Check[];

  constructor(
    readonly analysis: Analysis,
    readonly namespace: string,
    services: readonly ServiceTarget[],
    private readonly query: Query,
    private readonly progress: (line: string) => void,
    private readonly clock: Clock = realClock,
  ) {
    this.services = [...services];
    this.checks = checksFor(analysis, namespace, services);
  }

  private services: ServiceTarget[];

  gates(step: number): boolean {
    return this.analysis.steps.includes(step);
  }

  /** Before step 1: the baselines (kept from an earlier record of the same run). */
  async baseline(earlier: AnalysisRecord | undefined): Promise<AnalysisRecord> {
    if (earlier) {
      // Resumed: the Services of the first run (step 1 may have added subset Services since).
      if (earlier.services) {
        this.services = earlier.services;
        this.checks = checksFor(this.analysis, this.namespace, earlier.services);
      }
      return earlier;
    }
    const wanted = this.checks.filter((c) => c.baseline);
    const { baselines, problems } = await captureBaselines(wanted, this.query);
    for (const [key, value] of Object.entries(baselines))
      this.progress(`  analysis baseline ${key}: ${value ?? "none"}`);
    if (problems.length > 0)
      throw new AmbientMigrateError(
        `analysis (${this.analysis.source}): no baseline for ${problems.join("; ")}; nothing was changed`,
        ExitCode.verificationFailed,
        "a baseline needs traffic before the migration: check the query and that Prometheus scrapes the namespace",
      );
    return {
      source: this.analysis.source,
      onFailure: this.analysis.onFailure,
      steps: this.analysis.steps,
      services: this.services,
      baselines,
      baselineTime: this.clock.now().toISOString(),
      results: [],
    };
  }

  /** Runs the analysis for `step` (BEFORE_MIGRATION: after a rollback), records it, and returns it. */
  async run(step: number, record: AnalysisRecord, signal: AbortSignal): Promise<AnalysisResult> {
    const when = step === BEFORE_MIGRATION ? "after the rollback" : `at step ${step}`;
    const checks = checksAt(this.checks, step);
    this.progress(`  analysis ${when}: ${checks.length} check(s) on Prometheus (${this.analysis.source})`);
    const result = await runAnalysis(checks, step, record.baselines, {
      query: this.query,
      clock: this.clock,
      signal,
      progress: this.progress,
    });
    const verdict = analysisVerdict(result, when);
    record.results.push({
      step,
      phase: result.phase,
      verdict,
      time: this.clock.now().toISOString(),
      checks: result.checks.map((c) => ({ key: c.key, phase: c.phase, detail: c.detail })),
    });
    this.progress(`  ${verdict}`);
    return result;
  }

  /** After a gated step: throws AnalysisFailed unless every check succeeded. */
  async gate(step: number, record: AnalysisRecord, signal: AbortSignal): Promise<void> {
    const result = await this.run(step, record, signal);
    if (result.phase === "success") return;
    const verdict = analysisVerdict(result, `at step ${step}`);
    const ns = this.namespace;
    throw new AnalysisFailed(
      verdict,
      result,
      result.phase === "failure" && this.analysis.onFailure === "rollback"
        ? `rolling back ${ns} (onFailure: rollback)`
        : `fix the cause, then resume with: ambient-migrate migrate -n ${ns} (same analysis)   or undo with: ambient-migrate rollback ${ns}`,
    );
  }
}
