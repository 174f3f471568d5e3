// Decisions. One measurement of a check is a success, a failure or inconclusive; no data, NaN
// (e.g. 0/0 without traffic), a missing baseline and a query error are inconclusive, never a
// success. A check takes `count` measurements `interval` apart after `initialDelay`, and stops
// as soon as failures exceed failureLimit (failed) or inconclusive ones exceed inconclusiveLimit
// (inconclusive); a check with no successful measurement is inconclusive.

import type { InstantSample } from "../prometheus/client.js";
import { compileCondition } from "./condition.js";
import type { Check } from "./model.js";
import { fillTemplate } from "./template.js";

/** What a query returned: one value per series. */
export type Sample = Pick<InstantSample, "labels" | "value">;

export type Phase = "success" | "failure" | "inconclusive";

export interface Measurement {
  phase: Phase;
  value?: number;
  /** What was compared, or why nothing could be. */
  detail: string;
  time: string;
}

export interface CheckResult {
  key: string;
  phase: Phase;
  /** The deciding measurement: "<value> vs <condition>", or why it is inconclusive. */
  detail: string;
  value?: number;
  condition: string;
  measurements: Measurement[];
}

export interface AnalysisResult {
  step: number;
  phase: Phase;
  checks: CheckResult[];
}

/** Baseline values by check key; null when none could be measured. */
export type Baselines = Record<string, number | null>;

export type Query = (expr: string) => Promise<Sample[]>;

export interface Clock {
  now(): Date;
  /** Rejects when the signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** As Prometheus writes values: +Inf, -Inf and NaN included. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  return String(Number(value.toPrecision(4)));
}

/** The condition as a person reads it, with the relative bounds worked out. */
export function conditionText(check: Check, baseline?: number | null): string {
  const range = check.thresholdRange;
  if (range) {
    const bound = (factor: number) =>
      range.relative
        ? baseline === undefined
          ? `${factor} x baseline`
          : `${factor} x baseline ${baseline === null ? "(none)" : `${formatValue(baseline)} = ${formatValue(factor * baseline)}`}`
        : formatValue(factor);
    const parts = [
      ...(range.min !== undefined ? [`>= ${bound(range.min)}`] : []),
      ...(range.max !== undefined ? [`<= ${bound(range.max)}`] : []),
    ];
    return `result ${parts.join(" and ")}`;
  }
  return [
    ...(check.successCondition ? [check.successCondition] : []),
    ...(check.failureCondition ? [`not (${check.failureCondition})`] : []),
  ].join(" and ");
}

/** One sample against the check's condition. */
function judgeValue(check: Check, value: number, baseline: number | null | undefined): Phase | string {
  if (Number.isNaN(value)) return "NaN (no traffic in the window?)";
  const range = check.thresholdRange;
  if (range) {
    let { min, max } = range;
    if (range.relative) {
      if (baseline == null || !Number.isFinite(baseline)) return "no baseline to compare with";
      min = min === undefined ? undefined : min * baseline;
      max = max === undefined ? undefined : max * baseline;
    }
    return (min === undefined || value >= min) && (max === undefined || value <= max) ? "success" : "failure";
  }
  if (check.failureCondition && compileCondition(check.failureCondition)(value)) return "failure";
  if (check.successCondition) {
    if (compileCondition(check.successCondition)(value)) return "success";
    // Argo Rollouts: with both conditions, matching neither is inconclusive.
    return check.failureCondition ? "neither condition holds" : "failure";
  }
  return "success";
}

/** One measurement from what the query returned (or the error it raised). */
export function judge(
  check: Check,
  answer: Sample[] | Error,
  baseline: number | null | undefined,
  time: Date,
): Measurement {
  const at = time.toISOString();
  if (answer instanceof Error)
    return { phase: "inconclusive", detail: `query error: ${answer.message}`, time: at };
  if (answer.length === 0)
    return { phase: "inconclusive", detail: "no data (the query returned nothing)", time: at };
  const condition = conditionText(check, baseline);
  let worst: Measurement | undefined;
  for (const sample of answer) {
    const verdict = judgeValue(check, sample.value, baseline);
    const series = answer.length > 1 ? ` ${JSON.stringify(sample.labels)}` : "";
    const m: Measurement =
      verdict === "success" || verdict === "failure"
        ? {
            phase: verdict,
            value: sample.value,
            detail: `${formatValue(sample.value)} vs ${condition}${series}`,
            time: at,
          }
        : { phase: "inconclusive", value: sample.value, detail: `${verdict}${series}`, time: at };
    if (m.phase === "failure") return m;
    if (!worst || (m.phase === "inconclusive" && worst.phase === "success")) worst = m;
  }
  return worst as Measurement;
}

async function ask(query: Query, expr: string): Promise<Sample[] | Error> {
  try {
    return await query(expr);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

export interface RunContext {
  query: Query;
  clock: Clock;
  signal: AbortSignal;
  progress: (line: string) => void;
}

/** Measures one check after `step` until count is reached or a limit trips. */
export async function runCheck(
  check: Check,
  step: number,
  baseline: number | null | undefined,
  ctx: RunContext,
): Promise<CheckResult> {
  const expr = fillTemplate(check.query, { step });
  const condition = conditionText(check, baseline);
  const measurements: Measurement[] = [];
  const tally = { success: 0, failure: 0, inconclusive: 0 };
  const result = (phase: Phase, decisive?: Measurement): CheckResult => ({
    key: check.key,
    phase,
    detail: decisive?.detail ?? "",
    ...(decisive?.value !== undefined ? { value: decisive.value } : {}),
    condition,
    measurements,
  });
  if (check.initialDelayMs > 0) await ctx.clock.sleep(check.initialDelayMs, ctx.signal);
  for (let i = 0; i < check.count; i++) {
    if (i > 0) await ctx.clock.sleep(check.intervalMs, ctx.signal);
    const m = judge(check, await ask(ctx.query, expr), baseline, ctx.clock.now());
    measurements.push(m);
    tally[m.phase]++;
    ctx.progress(`    ${check.key} (${i + 1}/${check.count}): ${m.phase}: ${m.detail}`);
    if (tally.failure > check.failureLimit) return result("failure", m);
    if (tally.inconclusive > check.inconclusiveLimit) return result("inconclusive", m);
  }
  if (tally.success === 0) {
    const last = measurements.at(-1);
    return result("inconclusive", last && { ...last, detail: `no successful measurement (${last.detail})` });
  }
  return result(
    "success",
    measurements.findLast((m) => m.phase === "success"),
  );
}

/** Every check after `step`, side by side; the worst phase decides. */
export async function runAnalysis(
  checks: readonly Check[],
  step: number,
  baselines: Baselines,
  ctx: RunContext,
): Promise<AnalysisResult> {
  const results = await Promise.all(checks.map((c) => runCheck(c, step, baselines[c.key], ctx)));
  const phase: Phase = results.some((r) => r.phase === "failure")
    ? "failure"
    : results.some((r) => r.phase === "inconclusive") || results.length === 0
      ? "inconclusive"
      : "success";
  return { step, phase, checks: results };
}

/**
 * The baseline of every check with baseline: true, measured once before step 1: the value of
 * its single sample (several samples, none, NaN or an error: no baseline, and the reason).
 */
export async function captureBaselines(
  checks: readonly Check[],
  query: Query,
): Promise<{ baselines: Baselines; problems: string[] }> {
  const baselines: Baselines = {};
  const problems: string[] = [];
  await Promise.all(
    checks
      .filter((c) => c.baseline)
      .map(async (c) => {
        const answer = await ask(query, fillTemplate(c.query, { step: 0 }));
        let why: string | undefined;
        if (answer instanceof Error) why = `query error: ${answer.message}`;
        else if (answer.length !== 1)
          why = answer.length === 0 ? "no data" : `${answer.length} series, not one`;
        else if (!Number.isFinite(answer[0]?.value))
          why = `value ${formatValue(answer[0]?.value ?? Number.NaN)}`;
        baselines[c.key] = why || answer instanceof Error ? null : (answer[0]?.value ?? null);
        if (why) problems.push(`${c.key}: ${why}`);
      }),
  );
  return { baselines, problems };
}

/** The sentence the journal and the error carry for a failed or inconclusive analysis. */
export function analysisVerdict(result: AnalysisResult, when: string): string {
  const failed = result.checks.find((c) => c.phase === "failure");
  if (failed) return `failed ${when}: analysis ${failed.key} ${failed.detail}`;
  const unsure = result.checks.find((c) => c.phase === "inconclusive");
  if (unsure) return `inconclusive ${when}: analysis ${unsure.key} ${unsure.detail}`;
  if (result.checks.length === 0) return `inconclusive ${when}: no check applies`;
  return `passed ${when}: ${result.checks.length} check(s)`;
}
