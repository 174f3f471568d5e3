// `migrate --waves`: the waves of the plan in order, each wave's namespaces together (up to
// --parallel at once), and no wave before the previous one is done: a callee never moves while
// one of its callers is still on sidecars. A wave with a failure stops the run there.

import { AmbientMigrateError, ExitCode } from "../errors.js";
import type { Wave } from "../waves/order.js";

export interface NamespaceRun<R> {
  namespace: string;
  wave: number;
  result?: R;
  /** Set when it failed; `exitCode` is the code it would have exited with on its own. */
  error?: { message: string; exitCode: number };
  /** Not started: an earlier wave failed, or the run was interrupted. */
  skipped?: boolean;
}

/**
 * Runs `run` for every namespace of every wave: waves in order, a wave's namespaces at most
 * `parallel` at once; one failing does not stop the others of its wave, but no later wave starts.
 * `prepare` runs before each wave (e.g. to re-read the cluster and plan the wave afresh).
 */
export async function runWaves<R, P>(
  waves: readonly Wave[],
  options: { parallel: number; signal: AbortSignal },
  prepare: (wave: Wave) => Promise<P>,
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
          r.error =
            err instanceof AmbientMigrateError
              ? { message: err.message, exitCode: err.exitCode }
              : {
                  message: `internal error: ${(err as Error)?.stack ?? String(err)}`,
                  exitCode: ExitCode.internal,
                };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallel, mine.length)) }, worker));
  }
  return runs;
}

/** 0 when all finished; else 130 if interrupted, else the first failed namespace's code. */
export function wavesExitCode(runs: readonly NamespaceRun<unknown>[]): number {
  const failed = runs.filter((r) => r.error);
  if (failed.some((r) => r.error?.exitCode === ExitCode.interrupted)) return ExitCode.interrupted;
  if (failed.length > 0) return failed[0]?.error?.exitCode ?? ExitCode.internal;
  return runs.some((r) => r.skipped) ? ExitCode.interrupted : ExitCode.ok;
}
