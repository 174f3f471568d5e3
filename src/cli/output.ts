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
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd();
  return `${[line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join("\n")}\n`;
}
