// What `migrate` and `rollback` share around a run: the --timeout flag, the interruption
// handler (first Ctrl-C, or stdout's reader going away, finishes the current change and records
// it; a second Ctrl-C quits at once), and the y/N confirmation.

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

const STDOUT_CLOSED = "stdout closed";

/** Why a run was interrupted, for its journal: a signal, or stdout's reader going away. */
export function interruptedBy(signal: AbortSignal): string {
  return (signal.reason as Error | undefined)?.message === STDOUT_CLOSED
    ? "interrupted: stdout was closed by its reader"
    : "interrupted by a signal";
}

/**
 * An AbortSignal raised by SIGINT/SIGTERM, or by stdout's reader going away, while `body` runs;
 * handlers removed afterwards.
 */
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
  // stdout's reader gone (`migrate ... | head`): stop as on the first Ctrl-C, not in mid-change.
  const onStdoutError = (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE" || controller.signal.aborted) return;
    note(
      "stdout was closed: finishing the current change, recording it in the journal and releasing the lock",
    );
    controller.abort(new Error(STDOUT_CLOSED));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.stdout.on("error", onStdoutError);
  try {
    return await body(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.stdout.off("error", onStdoutError);
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
