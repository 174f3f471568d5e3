// `migrate --waves`: the waves of the plan in order, each wave's namespaces together (up to
// --parallel at once), and no wave before the previous one is done: a callee never moves while
// one of its callers is still on sidecars. A wave with a failure stops the run there.

import type { Wave } from "../waves/order.js";

export interface WaveOutcome<O> {
  wave: number;
  namespaces: string[];
  outcomes: O[];
}

/**
 * Runs `runWave` for each wave in order and returns what each did. `failed` tells whether a
 * wave's outcomes hold a failure (or a namespace not started); the waves after it are not run
 * and are returned with no outcomes.
 */
export async function runWaves<O>(
  waves: readonly Wave[],
  runWave: (wave: Wave, index: number) => Promise<O[]>,
  failed: (outcome: O) => boolean,
  signal: AbortSignal,
): Promise<WaveOutcome<O>[]> {
  const done: WaveOutcome<O>[] = [];
  let stopped = false;
  for (const [index, wave] of waves.entries()) {
    if (stopped || signal.aborted) {
      done.push({ wave: wave.wave, namespaces: wave.namespaces, outcomes: [] });
      continue;
    }
    const outcomes = await runWave(wave, index);
    done.push({ wave: wave.wave, namespaces: wave.namespaces, outcomes });
    stopped = outcomes.some(failed);
  }
  return done;
}
