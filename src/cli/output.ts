// Renderers shared by every command: kubectl-like tables for people, JSON and YAML for scripts.

import { AmbientMigrateError, ExitCode } from "../errors.js";
import { toJson, toYaml } from "../serialize.js";

export type OutputFormat = "table" | "json" | "yaml";

export function parseOutputFormat(value: string): OutputFormat {
  if (value === "table" || value === "json" || value === "yaml") return value;
  throw new AmbientMigrateError(
    `unknown output format "${value}"`,
    ExitCode.usage,
    "use -o table, -o json or -o yaml",
  );
}

export function structured(value: unknown, format: "json" | "yaml"): string {
  return format === "json" ? toJson(value) : toYaml(value);
}

/** Columns separated by three spaces, headers upper-case, like `kubectl get`. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return [...tableLines(headers, rows)].join("");
}

/** The table's lines, each with its newline: a table of 200,000 rows is written, not joined. */
export function* tableLines(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): Generator<string> {
  const cellsOf = (cells: readonly string[]) => cells.map(escapeControls);
  const all = [headers.map((h) => h.toUpperCase()), ...rows].map(cellsOf);
  // A loop, not Math.max(...): a spread of 100,000 rows overflows the stack.
  const widths = headers.map(() => 0);
  for (const cells of all) {
    for (const [i, c] of cells.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  }
  for (const cells of all)
    yield `${cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd()}\n`;
}

/** Writes text given in pieces, in writes of about 64 KB (one per piece would be a system call each). */
export function writeAll(out: { write(text: string): unknown }, pieces: Iterable<string>): void {
  let pending: string[] = [];
  let size = 0;
  for (const piece of pieces) {
    pending.push(piece);
    size += piece.length;
    if (size >= 65536) {
      out.write(pending.join(""));
      pending = [];
      size = 0;
    }
  }
  if (pending.length > 0) out.write(pending.join(""));
}

/**
 * Control characters from objects (a name with ESC or a newline) shown as escapes: a table
 * cell must neither drive the terminal nor break the row.
 */
export function escapeControls(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) =>
    c === "\n" ? "\\n" : c === "\t" ? "\\t" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}
