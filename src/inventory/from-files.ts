// Fills an inventory from manifests on disk: files, directories (recursively) or stdin, with
// multi-document YAML, JSON, `kind: List` and typed lists (`kubectl get -o yaml` dumps).

import { type Dirent, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join, relative } from "node:path";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { lookupKind } from "./kinds.js";
import { addChecked, byCodePoint, Inventory, type KubeObject } from "./model.js";
import { parseDocuments, StringTable } from "./parse-documents.js";

const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

interface ReadOptions {
  /** Namespace for namespaced objects that name none (kubectl's `-n` with `-f`). */
  defaultNamespace?: string;
  /** Read `-` from this text instead of the process's stdin (tests). */
  stdinText?: string;
}

interface ReadResult {
  inventory: Inventory;
  files: number;
  documents: number;
  /** Files that are not manifests yet (kustomizations, Helm charts, templates): left unread. */
  unrendered: string[];
}

/** kubectl apply -f skips these too: they describe manifests, kustomize builds them. */
const KUSTOMIZATIONS = new Set(["kustomization.yaml", "kustomization.yml", "Kustomization"]);

/** Go template actions (`{{ .Values.x }}`, `{{- include ... }}`) in a text the YAML parsers refused. */
const TEMPLATE = /\{\{-?\s*(?:[.$]|[a-z]+\b)/;

/** Reads every manifest under the given paths; all problems are gathered into one error. */
export function readManifests(paths: readonly string[], options: ReadOptions = {}): ReadResult {
  const inventory = new Inventory({ type: "files", paths: [...paths] });
  const problems: string[] = [];
  const unrendered: string[] = [];
  let files = 0;
  let documents = 0;
  const strings = new StringTable({ shareSubtrees: true });
  for (const path of paths) {
    for (const file of expand(path, problems, unrendered)) {
      let text: string;
      try {
        text = file === "-" ? (options.stdinText ?? readFileSync(0, "utf8")) : readManifestFile(file);
      } catch (err) {
        problems.push(`${file}: cannot read: ${(err as Error).message}`);
        continue;
      }
      files++;
      const display = file === "-" ? "<stdin>" : file;
      // A template fails to parse: one note naming it, not its parser errors.
      const own: string[] = [];
      const count = readText(text, display, inventory, own, options, strings);
      if (own.length > 0 && TEMPLATE.test(text)) unrendered.push(`${shown(display)} (template)`);
      else {
        problems.push(...own);
        documents += count;
      }
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
  inventory.mergeRedefinitions();
  return { inventory, files, documents, unrendered };
}

/**
 * A file's text, decoded straight to a string (no Buffer per file to wait for the collector:
 * reading 37,000 files held hundreds of MB of them); one that is not plain UTF-8 (a byte order
 * mark, or NULs of UTF-16) is read again as bytes and decoded by `decode`.
 */
function readManifestFile(file: string): string {
  const text = readFileSync(file, "utf8");
  const first = text.charCodeAt(0);
  if (first !== 0xfffd && first !== 0xfeff && first !== 0 && text.charCodeAt(1) !== 0) return text;
  return decode(readFileSync(file));
}

/**
 * A file's text as kubectl reads it: UTF-8 (a byte order mark dropped), or UTF-16 with its byte
 * order mark; UTF-16 without one is refused with a hint rather than read as garbage.
 */
export function decode(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes.subarray(2));
  if (bytes.length >= 2 && (bytes[0] === 0 || bytes[1] === 0))
    throw new Error("looks like UTF-16 without a byte order mark; convert it: iconv -f UTF-16 -t UTF-8");
  const text = bytes.toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function shown(file: string): string {
  return file.startsWith("/") ? relative(process.cwd(), file) || file : file;
}

function expand(path: string, problems: string[], unrendered: string[]): string[] {
  if (path === "-") return ["-"];
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    problems.push(`${path}: no such file or directory`);
    return [];
  }
  if (!stats.isDirectory()) {
    if (!KUSTOMIZATIONS.has(basename(path))) return [path];
    unrendered.push(`${shown(path)} (kustomization)`);
    return [];
  }
  const out: string[] = [];
  let skipped = 0;
  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      problems.push(`${dir}: cannot read directory: ${(err as Error).message}`);
      return;
    }
    // A Helm chart holds templates and values, not manifests.
    if (entries.some((e) => e.name === "Chart.yaml" && e.isFile())) {
      unrendered.push(`${shown(dir)} (Helm chart)`);
      skipped++;
      return;
    }
    for (const entry of entries.sort((a, b) => byCodePoint(a.name, b.name))) {
      if (entry.name.startsWith(".")) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (KUSTOMIZATIONS.has(entry.name)) {
        unrendered.push(`${shown(full)} (kustomization)`);
        skipped++;
      } else if (MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(full);
    }
  };
  walk(path);
  if (out.length === 0 && skipped === 0)
    problems.push(`${path}: directory holds no .yaml, .yml or .json file`);
  return out;
}

/** Parses one file's text into the inventory; returns how many documents it held. */
export function readText(
  text: string,
  file: string,
  inventory: Inventory,
  problems: string[],
  options: ReadOptions = {},
  strings?: StringTable,
): number {
  const display = shown(file);
  const parsed = parseDocuments(text, extname(file).toLowerCase() === ".json", strings);
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
