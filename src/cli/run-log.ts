// `--log FILE`: everything a run says, for the record, while the terminal stays terse. Each line
// is timestamped and tagged (progress, kubectl, event, error) and never coloured; a heredoc's
// lines are tagged one by one so that `grep kubectl` finds every manifest line. Written
// synchronously, so that a run killed half-way leaves every line it got to.

import { appendFileSync, closeSync, mkdirSync, openSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { uncoloured } from "../color.js";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import type { ApplyEvent } from "../observability/apply.js";
import type { RunEvent, SummaryEvent } from "../run/events.js";

export type LogKind = "progress" | "kubectl" | "event" | "error";

export class RunLog {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.path = resolve(path);
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, "a");
    } catch (err) {
      throw new AmbientMigrateError(
        `cannot write the log ${this.path}: ${(err as Error).message}`,
        ExitCode.usage,
        "give --log a file in a folder you can write to",
      );
    }
  }

  write(kind: LogKind, text: string): void {
    if (this.fd === undefined) return;
    const time = this.now().toISOString();
    const lines = uncoloured(text).split("\n");
    appendFileSync(this.fd, lines.map((line) => `${time} ${kind.padEnd(8)} ${line}\n`).join(""));
  }

  event(event: RunEvent | SummaryEvent | ApplyEvent): void {
    this.write("event", JSON.stringify(event));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Where a run logs without --log: a new file beside the backup, named by the command and the time. */
export function defaultLogPath(backupDir: string, command: string, now: Date = new Date()): string {
  return join(backupDir, `${command}-${now.toISOString().replace(/[:.]/g, "-")}.log`);
}

/** The terminal's line for one applied or skipped change, when the full command goes to the log. */
export function changeLine(event: RunEvent): string | undefined {
  if (event.event !== "change") return undefined;
  const what = event.command ?? `${event.type} ${event.target}`;
  return `  ${event.phase} ${event.id}: ${what}${event.reason ? ` (${event.reason})` : ""}`;
}

export interface Logged {
  /** A progress line: on the terminal, and in the log. */
  note: (message: string) => void;
  log: RunLog | undefined;
}

/**
 * Runs a command's body with its --log open (when given): the path is printed first and last, and
 * an error that ends the run is logged before it propagates to the exit code.
 */
export async function loggedRun(
  file: string | undefined,
  screen: (message: string) => void,
  /** Gives the terminal back (the live tree) before the last line and any error are printed. */
  settle: () => void,
  body: (logged: Logged) => Promise<void>,
): Promise<void> {
  if (!file) return body({ note: screen, log: undefined }).finally(settle);
  const log = new RunLog(file);
  screen(`full log: ${log.path}`);
  const note = (message: string) => {
    screen(message);
    log.write("progress", message);
  };
  try {
    await body({ note, log });
  } catch (err) {
    log.write("error", (err as Error).message);
    if (err instanceof AmbientMigrateError) {
      for (const detail of err.details) log.write("error", `  ${detail}`);
      if (err.hint) log.write("error", `hint: ${err.hint}`);
    }
    throw err;
  } finally {
    settle();
    log.close();
    screen(`full log: ${log.path}`);
  }
}
