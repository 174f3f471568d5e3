// `migrate --parallel N` and `migrate --waves`: waves of namespaces in order, each wave's
// namespaces up to N at once (one lock each), and no wave before the previous one is done, so
// that a callee never moves while one of its callers is still on sidecars. Without --waves every
// namespace is in one wave. A namespace that fails does not stop the others of its wave; a wave
// with a failure stops the run there.

import { AmbientMigrateError, ExitCode } from "../errors.js";
import type { Wave } from "../waves/order.js";
import type { SummaryRow } from "./events.js";

interface NamespaceRun<R> {
  namespace: string;
  wave: number;
  /** Set when the namespace's run finished. */
  result?: R;
  /** Set when it failed; `exitCode` is the code it would have exited with on its own. */
  error?: { message: string; exitCode: number; hint?: string };
  /** Not started: an earlier wave failed, or the run was interrupted. */
  skipped?: boolean;
}

/**
 * Runs `run` for every namespace of every wave: waves in order, a wave's namespaces in the given
 * order and at most `parallel` at once, the next one as soon as a slot frees; one failing does not
 * stop the others of its wave, but no later wave starts. `prepare` runs before each wave (e.g. to
 * re-read the cluster and plan the wave afresh).
 */
export async function runWaves<R, P>(
  waves: readonly Pick<Wave, "wave" | "namespaces">[],
  options: { parallel: number; signal: AbortSignal },
  prepare: (wave: Pick<Wave, "wave" | "namespaces">) => Promise<P>,
  run: (namespace: string, prepared: P) => Promise<R>,
): Promise<NamespaceRun<R>[]> {
  const runs: NamespaceRun<R>[] = waves.flatMap((w) =>
    w.namespaces.map((namespace) => ({ namespace, wave: w.wave, skipped: true })),
  );
  for (const wave of waves) {
    if (options.signal.aborted || runs.some((r) => r.error)) break;
    const prepared = await prepare(wave);
    const mine = runs.filter((r) => r.wave === wave.wave);
    let next = 0;
    const worker = async () => {
      while (next < mine.length && !options.signal.aborted) {
        const r = mine[next++] as NamespaceRun<R>;
        delete r.skipped;
        try {
          r.result = await run(r.namespace, prepared);
        } catch (err) {
          r.error = describeFailure(err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallel, mine.length)) }, worker));
  }
  return runs;
}

function describeFailure(err: unknown): NonNullable<NamespaceRun<never>["error"]> {
  if (err instanceof AmbientMigrateError)
    return { message: err.message, exitCode: err.exitCode, ...(err.hint ? { hint: err.hint } : {}) };
  // A bug in one namespace's run: reported with the others, exit code 1 (internal error).
  return { message: `internal error: ${(err as Error)?.stack ?? String(err)}`, exitCode: ExitCode.internal };
}

/**
 * The run's exit code: 0 when every namespace finished; 130 when an interruption stopped any;
 * else the code of the first namespace (in wave and name order) that failed, e.g. 9 (a step's
 * verification failed) or 10 (another run holds its lock). The summary names each one.
 */
export function wavesExitCode(runs: readonly NamespaceRun<unknown>[]): number {
  const failed = runs.filter((r) => r.error);
  if (failed.some((r) => r.error?.exitCode === ExitCode.interrupted)) return ExitCode.interrupted;
  if (failed.length > 0) return failed[0]?.error?.exitCode ?? ExitCode.internal;
  return runs.some((r) => r.skipped) ? ExitCode.interrupted : ExitCode.ok;
}

/** Each namespace's line of the summary; `withWaves` says which wave it was in. */
export function summaryRows(runs: readonly NamespaceRun<string>[], withWaves: boolean): SummaryRow[] {
  return runs.map((r) => ({
    namespace: r.namespace,
    ...(withWaves ? { wave: r.wave } : {}),
    result: r.result ?? (r.error ? "failed" : "not started"),
    ...(r.error ? { exitCode: r.error.exitCode, error: r.error.message } : {}),
  }));
}

/** Prefixes each line with the namespace, so that the lines of namespaces run at once stay readable. */
export function prefixed(namespace: string, write: (line: string) => void): (line: string) => void {
  return (line) => {
    for (const part of line.split("\n")) write(`[${namespace}] ${part}`);
  };
}
