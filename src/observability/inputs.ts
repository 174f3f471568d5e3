// Reading the files `observability` rewrites and writing the results: the I/O around report.ts.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { K } from "../inventory/kinds.js";
import type { Inventory } from "../inventory/model.js";
import { type OutputFile, safeFileName, writeFilesInto } from "../output-files.js";
import type { InputDocument, ObservabilityReport } from "./report.js";
import { monitorsYaml } from "./report.js";

const EXTENSIONS = new Set([".json", ".yaml", ".yml"]);

/** Files under the given paths (directories recursively), as documents to rewrite. */
export function readInputDocuments(paths: readonly string[]): InputDocument[] {
  const files: string[] = [];
  const walk = (path: string, explicit: boolean) => {
    let stats: ReturnType<typeof statSync>;
    try {
      stats = statSync(path);
    } catch {
      throw new AmbientMigrateError(`${path}: no such file or directory`, ExitCode.invalidInput);
    }
    if (stats.isDirectory()) {
      let entries: string[];
      try {
        entries = readdirSync(path).sort();
      } catch (err) {
        throw new AmbientMigrateError(
          `${path}: cannot read directory: ${(err as Error).message}`,
          ExitCode.invalidInput,
        );
      }
      for (const entry of entries) if (!entry.startsWith(".")) walk(join(path, entry), false);
    } else if (explicit || EXTENSIONS.has(extname(path).toLowerCase())) files.push(path);
  };
  for (const p of paths) walk(p, true);
  return files.map(readDocument);
}

function readDocument(file: string): InputDocument {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new AmbientMigrateError(`${file}: cannot read: ${(err as Error).message}`, ExitCode.invalidInput);
  }
  const json = extname(file).toLowerCase() === ".json" || text.trimStart().startsWith("{");
  return { source: file, text, format: json ? "json" : "yaml" };
}

/** The -f files that hold PrometheusRules or ConfigMaps, to be rewritten as whole files. */
export function inventoryFiles(inventory: Inventory, exclude: ReadonlySet<string>): InputDocument[] {
  const files = new Set<string>();
  for (const kind of [K.PrometheusRule, K.ConfigMap] as const) {
    for (const entry of inventory.entries(kind)) {
      const file = entry.origin?.file;
      if (file && file !== "<stdin>" && !exclude.has(file)) files.add(file);
    }
  }
  return [...files].map(readDocument);
}

/** Writes the rewritten documents (changed or not) and the generated monitors into a directory. */
export function writeOutputs(report: ObservabilityReport, dir: string, overwrite = false): string[] {
  const used = new Set<string>();
  const files: OutputFile[] = [];
  const unique = (name: string) => {
    let candidate = name;
    for (let i = 2; used.has(candidate); i++)
      candidate = `${basename(name, extname(name))}-${i}${extname(name)}`;
    used.add(candidate);
    return candidate;
  };
  for (const d of report.documents) {
    const name = d.fromCluster
      ? `${safeFileName(d.source.replaceAll("/", "_"), "object")}.yaml`
      : basename(d.source);
    files.push({ name: unique(name), text: d.text });
  }
  if (report.generatedMonitors.length > 0)
    files.push({ name: unique("podmonitors.generated.yaml"), text: monitorsYaml(report.generatedMonitors) });
  return writeFilesInto(dir, files, { overwrite, flag: "--output-dir" });
}
