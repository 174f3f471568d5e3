// What `migrate` and `rollback` share around a run: the --timeout flag, the interruption
// handler (first Ctrl-C finishes the current change and records it; a second one quits at
// once), and the y/N confirmation.

import { AmbientMigrateError, ExitCode } from "../errors.js";
import { parseDurationMs } from "../translate/durations.js";

export const DEFAULT_GATE_TIMEOUT = "5m";

export function parseTimeout(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined || ms <= 0)
    throw new AmbientMigrateError(
      `--timeout ${text} is not a duration`,
      ExitCode.usage,
      "e.g. --timeout 90s or 10m",
    );
  return ms;
}

/** An AbortSignal raised by SIGINT/SIGTERM while `body` runs; handlers removed afterwards. */
export async function withInterruption<T>(
  note: (line: string) => void,
  body: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      note(`${name} again: quitting now; the journal may show the current change as intended, not done`);
      process.exit(ExitCode.interrupted);
    }
    note(`${name}: finishing the current change, recording it in the journal and releasing the lock`);
    controller.abort(new Error(name));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await body(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Asks y/N on the terminal; without a terminal, refuses unless --yes was given. */
export async function confirm(question: string, yes: boolean): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) {
    throw new AmbientMigrateError(
      "refusing to change the cluster without confirmation: stdin is not a terminal",
      ExitCode.usage,
      "pass --yes to confirm non-interactively (or --dry-run=client to only print the changes)",
    );
  }
  // Imported here: readline costs every start-up a few milliseconds, and few runs ask anything.
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
