// Reading the files `observability` rewrites and writing the results: the I/O around report.ts.

import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { K } from "../inventory/kinds.js";
import type { Inventory } from "../inventory/model.js";
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
      throw new AmbientMigrateError(`${path}: no such file or directory`, ExitCode.notFound);
    }
    if (stats.isDirectory()) {
      for (const entry of readdirSync(path).sort())
        if (!entry.startsWith(".")) walk(join(path, entry), false);
    } else if (explicit || EXTENSIONS.has(extname(path).toLowerCase())) files.push(path);
  };
  for (const p of paths) walk(p, true);
  return files.map(readDocument);
}

function readDocument(file: string): InputDocument {
  const text = readFileSync(file, "utf8");
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
export function writeOutputs(report: ObservabilityReport, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const used = new Set<string>();
  const written: string[] = [];
  const unique = (name: string) => {
    let candidate = name;
    for (let i = 2; used.has(candidate); i++)
      candidate = `${basename(name, extname(name))}-${i}${extname(name)}`;
    used.add(candidate);
    return candidate;
  };
  for (const d of report.documents) {
    const name = unique(d.fromCluster ? `${d.source.replaceAll("/", "_")}.yaml` : basename(d.source));
    writeFileSync(join(dir, name), d.text);
    written.push(join(dir, name));
  }
  if (report.generatedMonitors.length > 0) {
    const name = join(dir, unique("podmonitors.generated.yaml"));
    writeFileSync(name, monitorsYaml(report.generatedMonitors));
    written.push(name);
  }
  return written;
}
