// When the CLI may colour what it writes, decided once per stream, and the few styles it uses.
// Rules, first match wins: --no-color; FORCE_COLOR (0/false: never, anything else: always, as
// Node and supports-color read it); NO_COLOR set and not empty (no-color.org); TERM=dumb;
// otherwise only a terminal gets colour, so a pipe, a file or a CI log never sees an ANSI escape.

import { stripVTControlCharacters, styleText } from "node:util";

export interface ColorInputs {
  /** false when --no-color was given. */
  flag: boolean;
  env: Readonly<Record<string, string | undefined>>;
  isTTY: boolean;
}

export function colorEnabled({ flag, env, isTTY }: ColorInputs): boolean {
  if (!flag) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return isTTY;
}

type Format = Parameters<typeof styleText>[0];

/** The styles the CLI uses; every one the identity when colour is off. */
export interface Style {
  ok(text: string): string;
  fail(text: string): string;
  warn(text: string): string;
  strong(text: string): string;
  faint(text: string): string;
}

export function styleOf(enabled: boolean): Style {
  // validateStream: false because the decision above is made already (and streams may be injected).
  const paint = (format: Format) => (text: string) =>
    enabled ? styleText(format, text, { validateStream: false }) : text;
  return {
    ok: paint("green"),
    fail: paint(["red", "bold"]),
    warn: paint("yellow"),
    strong: paint("bold"),
    faint: paint("dim"),
  };
}

export const PLAIN: Style = styleOf(false);

/** What a log file or a parser gets: the text without colour. */
export function uncoloured(text: string): string {
  return stripVTControlCharacters(text);
}
