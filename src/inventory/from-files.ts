// Fills an inventory from manifests on disk: files, directories (recursively) or stdin, with
// multi-document YAML, JSON, `kind: List` and typed lists (`kubectl get -o yaml` dumps).

import { type Dirent, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative } from "node:path";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { lookupKind } from "./kinds.js";
import { addChecked, byCodePoint, Inventory, type KubeObject } from "./model.js";
import { parseDocuments } from "./parse-documents.js";

const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

export interface ReadOptions {
  /** Namespace for namespaced objects that name none (kubectl's `-n` with `-f`). */
  defaultNamespace?: string;
  /** Read `-` from this text instead of the process's stdin (tests). */
  stdinText?: string;
}

export interface ReadResult {
  inventory: Inventory;
  files: number;
  documents: number;
}

/** Reads every manifest under the given paths; all problems are gathered into one error. */
export function readManifests(paths: readonly string[], options: ReadOptions = {}): ReadResult {
  const inventory = new Inventory({ type: "files", paths: [...paths] });
  const problems: string[] = [];
  let files = 0;
  let documents = 0;
  for (const path of paths) {
    for (const file of expand(path, problems)) {
      let text: string;
      try {
        text = file === "-" ? (options.stdinText ?? readFileSync(0, "utf8")) : readFileSync(file, "utf8");
      } catch (err) {
        problems.push(`${file}: cannot read: ${(err as Error).message}`);
        continue;
      }
      files++;
      documents += readText(text, file === "-" ? "<stdin>" : file, inventory, problems, options);
    }
  }
  if (problems.length > 0) {
    throw new AmbientMigrateError(
      `${problems.length} problem(s) reading manifests`,
      ExitCode.invalidInput,
      "fix or remove the documents listed above; every document must be a Kubernetes object with apiVersion, kind and metadata.name",
      problems,
    );
  }
  return { inventory, files, documents };
}

function expand(path: string, problems: string[]): string[] {
  if (path === "-") return ["-"];
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    problems.push(`${path}: no such file or directory`);
    return [];
  }
  if (!stats.isDirectory()) return [path];
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      problems.push(`${dir}: cannot read directory: ${(err as Error).message}`);
      return;
    }
    for (const entry of entries.sort((a, b) => byCodePoint(a.name, b.name))) {
      if (entry.name.startsWith(".")) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(full);
    }
  };
  walk(path);
  if (out.length === 0) problems.push(`${path}: directory holds no .yaml, .yml or .json file`);
  return out;
}

/** Parses one file's text into the inventory; returns how many documents it held. */
export function readText(
  text: string,
  file: string,
  inventory: Inventory,
  problems: string[],
  options: ReadOptions = {},
): number {
  const display = file.startsWith("/") ? relative(process.cwd(), file) || file : file;
  const parsed = parseDocuments(text, extname(file).toLowerCase() === ".json");
  for (const problem of parsed.problems) problems.push(`${display}:${problem.line}: ${problem.message}`);
  for (const doc of parsed.documents)
    addValue(doc.value, { file: display, line: doc.line }, inventory, problems, options);
  return parsed.documents.length;
}

function addValue(
  value: unknown,
  origin: { file: string; line: number },
  inventory: Inventory,
  problems: string[],
  options: ReadOptions,
  inheritedApiVersion?: string,
  inheritedKind?: string,
): void {
  const where = `${origin.file}:${origin.line}`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.push(`${where}: not a Kubernetes object (expected a mapping with apiVersion and kind)`);
    return;
  }
  const obj = value as Record<string, unknown>;
  const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : inheritedApiVersion;
  const kind = typeof obj.kind === "string" ? obj.kind : inheritedKind;
  if (!apiVersion || !kind) {
    problems.push(`${where}: not a Kubernetes object: missing ${!apiVersion ? "apiVersion" : "kind"}`);
    return;
  }
  // `kind: List` and typed lists (PodList...): items may omit apiVersion/kind in typed lists.
  if (Array.isArray(obj.items) && kind.endsWith("List")) {
    const itemKind = kind === "List" ? undefined : kind.slice(0, -"List".length);
    const itemApiVersion = kind === "List" ? undefined : apiVersion;
    for (const item of obj.items)
      addValue(item, origin, inventory, problems, options, itemApiVersion, itemKind);
    return;
  }
  const metadata = obj.metadata as Record<string, unknown> | undefined;
  if (
    typeof metadata !== "object" ||
    metadata === null ||
    typeof metadata.name !== "string" ||
    !metadata.name
  ) {
    problems.push(`${where}: ${kind} has no metadata.name`);
    return;
  }
  // Items of typed lists get the list's apiVersion and kind; other objects are kept, not copied.
  const object = (
    obj.apiVersion === apiVersion && obj.kind === kind ? obj : { ...obj, apiVersion, kind }
  ) as KubeObject;
  const info = lookupKind(apiVersion, kind);
  if (info?.namespaced && (object.metadata.namespace === undefined || object.metadata.namespace === "")) {
    object.metadata = { ...object.metadata, namespace: options.defaultNamespace ?? "default" };
  }
  addChecked(inventory, object, origin);
}
