// Where a command writes, injected like kubectl's IOStreams: results on `out` (what scripts
// parse), progress and notes on `err`. The process's streams in production; a test passes its
// own and reads what the command wrote, without touching process.stdout.

import { colorEnabled, type Style, styleOf } from "../color.js";

export interface Writer {
  write(text: string): unknown;
  /** A terminal (process.stdout/stderr set it): only a terminal gets colour by default. */
  isTTY?: boolean;
  /** A terminal's width (process.stdout/stderr set it, and update it on resize). */
  columns?: number;
}

export interface IOStreams {
  out: Writer;
  err: Writer;
  /** The environment colour is decided from (NO_COLOR, FORCE_COLOR, TERM); process.env if unset. */
  env?: Readonly<Record<string, string | undefined>>;
}

export function processStreams(): IOStreams {
  return { out: process.stdout, err: process.stderr };
}

/** One line of progress or a note, on err. */
export function noteTo(io: IOStreams): (message: string) => void {
  return (message) => io.err.write(`${message}\n`);
}

/** The styles for one stream: colour only where color.ts's rules allow it (`flag`: false with --no-color). */
export function styleFor(io: IOStreams, stream: "out" | "err", flag: boolean): Style {
  return styleOf(colorEnabled({ flag, env: io.env ?? process.env, isTTY: io[stream].isTTY === true }));
}
