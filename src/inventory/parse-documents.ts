// Turns one manifest file's text into its documents' values, each with the line where the
// value starts. Three paths, fastest first, each falling through to the next:
//   1. JSON.parse, for .json files and texts that start with `{` (kubectl get -o json);
//   2. js-yaml's event parser, ~10x faster than the `yaml` package (whose lexer and parser
//      alone took 4 s for the 16 MB, 46,000-document benchmark mesh; js-yaml takes ~0.5 s);
//   3. the `yaml` package with a LineCounter, the precise path: it names the line of every
//      error, so any text the fast paths reject (malformed, unknown tags, directives) is
//      parsed again here and its problems are reported as before.
// Both YAML parsers resolve scalars with the YAML 1.2 core schema (no timestamps, `yes`/`on`
// are strings). As kubectl reads them, merge keys (`<<`) are applied and a duplicate key is an
// error: texts with either take the precise path, which does both.

import { constructFromEvents, EVENT_ID, type Event, parseEvents } from "js-yaml";
import { type Document, isScalar, LineCounter, parseAllDocuments, visit } from "yaml";

interface ParsedDocument {
  value: unknown;
  /** 1-based line of the value's first character (not the `---` or comments before it). */
  line: number;
}

interface ParseProblem {
  line: number;
  message: string;
}

interface ParsedText {
  /** Non-empty documents, in order. */
  documents: ParsedDocument[];
  problems: ParseProblem[];
}

/** Aliases per document: enough for real manifests, too few for an alias bomb. */
const MAX_ALIASES = 1000;

/**
 * Deepest nesting a document may have (js-yaml's own limit). Kubernetes objects stay far below;
 * deeper values would overflow the stack of whatever walks them later (renderers, validators).
 */
export const MAX_DEPTH = 100;

/**
 * One copy of each string read, shared by every object that holds it. Parsers return each string
 * value as a new string, and a long one as a slice that keeps the whole file's text alive: 50 MB of
 * manifests held 320 MB after reading (`apps/v1` 40,000 times, every file's text), 195 MB
 * through one table.
 *
 * With `shareSubtrees`, equal maps and lists below an object's top (a `{app: web}` selector, a
 * container's ports, an env entry) are also kept once, and frozen: a mesh's manifests repeat
 * them in every namespace, and 50 MB of the benchmark mesh held 123 MB after reading, 67 MB
 * with them shared. Frozen, because a write meant for one object would change every object
 * holding the same subtree: such a write throws instead. Never shared: a document's top, an
 * object's `metadata`, and anything holding a `metadata` (a list's items, a pod template), which
 * reading gives a default namespace and whose identity names an inventory entry.
 */
export class StringTable {
  /** Each string's number, and the one copy of it that number names. */
  private readonly ids = new Map<string, number>();
  private readonly strings: string[] = [];
  /** Shared subtrees by the hash of their contents (equal hashes are told apart by `sameAs`). */
  private readonly subtrees: Map<number, SharedSubtree[]> | undefined;
  /** What the last `walk` leaves for its caller to put in place of the value it walked. */
  private shared: unknown;

  constructor(options: { shareSubtrees?: boolean } = {}) {
    this.subtrees = options.shareSubtrees ? new Map() : undefined;
  }

  private idOf(value: string): number {
    const known = this.ids.get(value);
    if (known !== undefined) return known;
    // V8 shares the text of a slice of 13 characters or more with the string it was cut from: a
    // concatenation cut back is a copy of its own, and the file's text can go.
    const own = value.length >= 13 ? `${value} `.slice(0, -1) : value;
    const id = this.strings.length;
    this.strings.push(own);
    this.ids.set(own, id);
    return id;
  }

  /**
   * Interns a document's strings and, when sharing, replaces its repeated subtrees by their one
   * copy, in place; true (and the document left part done) when it nests deeper than `max`.
   */
  internDocument(document: unknown, max: number): boolean {
    try {
      this.walk(document, max, false);
      return false;
    } catch (err) {
      if (err === TOO_DEEP) return true;
      throw err;
    }
  }

  /**
   * Walks a value bottom-up and returns the hash of its contents, or NOT_SHARED when the value
   * is not shared: it holds or is a `metadata`, is a document's top, or holds something not
   * shared. A map's or list's hash is made of its keys' and children's hashes (children are
   * shared copies by then, so equal subtrees are found by comparing children by identity).
   */
  private walk(value: unknown, max: number, shareable: boolean): number {
    if (typeof value === "string") {
      const id = this.idOf(value);
      this.shared = this.strings[id];
      return id;
    }
    this.shared = value;
    if (typeof value !== "object" || value === null) return scalarHash(value);
    if (max <= 0) throw TOO_DEEP;
    // A YAML alias gives one value twice: the second time it may already be a frozen shared copy.
    if (Object.isFrozen(value)) return NOT_SHARED;
    const subtrees = this.subtrees;
    let open = subtrees !== undefined && shareable;
    let hash: number;
    if (Array.isArray(value)) {
      hash = 0x5bd1e995;
      for (let i = 0; i < value.length; i++) {
        const child = this.walk(value[i], max - 1, true);
        value[i] = this.shared;
        if (child === NOT_SHARED) open = false;
        else hash = mix(hash, child);
      }
    } else {
      const object = value as Record<string, unknown>;
      hash = 0x27d4eb2f;
      if ("metadata" in object) open = false;
      for (const key in object) {
        const child = this.walk(object[key], max - 1, key !== "metadata");
        object[key] = this.shared;
        if (child === NOT_SHARED) open = false;
        else hash = mix(mix(hash, keyHash(key)), child);
      }
    }
    if (!open || !subtrees) {
      // js-yaml leaves room for 17 items in each list: a copy holds its length only.
      this.shared = Array.isArray(value) ? value.slice() : value;
      return NOT_SHARED;
    }
    hash &= 0x7fffffff;
    const candidates = subtrees.get(hash);
    if (candidates)
      for (const known of candidates)
        if (known.sameAs(value)) {
          this.shared = known.value;
          return hash;
        }
    const own = new SharedSubtree(Array.isArray(value) ? value.slice() : (value as Record<string, unknown>));
    if (candidates) candidates.push(own);
    else subtrees.set(hash, [own]);
    this.shared = own.value;
    return hash;
  }
}

/** The one frozen copy of a subtree, with its keys in order to compare others with it. */
class SharedSubtree {
  readonly value: object;
  private readonly keys: readonly string[] | undefined;

  constructor(value: unknown[] | Record<string, unknown>) {
    this.keys = Array.isArray(value) ? undefined : Object.keys(value);
    this.value = Object.freeze(value);
  }

  /** Whether `other` holds the same keys in the same order, each with this one's very child. */
  sameAs(other: object): boolean {
    const mine = this.value as Record<string, unknown>;
    const theirs = other as Record<string, unknown>;
    if (this.keys === undefined) {
      if (!Array.isArray(other) || other.length !== (mine as unknown as unknown[]).length) return false;
      for (let i = 0; i < other.length; i++) if (!Object.is(other[i], mine[i])) return false;
      return true;
    }
    if (Array.isArray(other)) return false;
    let i = 0;
    for (const key in theirs) {
      if (this.keys[i] !== key || !Object.is(theirs[key], mine[key])) return false;
      i++;
    }
    return i === this.keys.length;
  }
}

/** A walk's answer for a value that is not shared. */
const NOT_SHARED = -1;

/** A scalar's hash: an integer's own bits, a constant per type for the rest (compared anyway). */
function scalarHash(value: unknown): number {
  if (typeof value === "number") return Number.isInteger(value) ? (value | 0) & 0x7fffffff : 0x3c6ef372;
  return value === true ? 0x1b873593 : value === false ? 0x6b43a9b5 : 0x0e6546b6;
}

/** A key's hash from its length and ends (no table lookup; equal hashes are compared anyway). */
function keyHash(key: string): number {
  return (key.length << 16) ^ (key.charCodeAt(0) << 8) ^ key.charCodeAt(key.length - 1);
}

function mix(hash: number, value: number): number {
  return Math.imul(hash ^ value, 0x01000193);
}

/** Thrown by StringTable's walk out of a document nested deeper than the limit. */
const TOO_DEEP = Symbol("too deep");

export function parseDocuments(
  text: string,
  looksLikeJson: boolean,
  strings: StringTable = new StringTable(),
): ParsedText {
  let parsed: ParsedText;
  try {
    parsed =
      (looksLikeJson || text.trimStart().startsWith("{") ? parseJson(text) : undefined) ??
      parseYamlFast(text) ??
      parseYamlPrecise(text);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return { documents: [], problems: [{ line: nestingLine(text, 0), message: "nested too deeply" }] };
  }
  return limitDepth(parsed, text, strings);
}

/**
 * Documents nested deeper than MAX_DEPTH become problems ("nested too deeply at file:line"); the
 * strings of the others go through the table (one walk does both).
 */
function limitDepth(parsed: ParsedText, text: string, strings: StringTable): ParsedText {
  // The `yaml` package reports its own stack overflow as a parse error.
  const problems = parsed.problems.map((p) =>
    /call stack/i.test(p.message)
      ? { line: nestingLine(text, 0), message: `nested too deeply (more than ${MAX_DEPTH} levels)` }
      : p,
  );
  const deep = parsed.documents.filter((d) => strings.internDocument(d.value, MAX_DEPTH));
  if (deep.length === 0) return { documents: parsed.documents, problems };
  return {
    documents: parsed.documents.filter((d) => !deep.includes(d)),
    problems: [
      ...problems,
      ...deep.map((d) => ({
        line: nestingLine(text, d.line),
        message: `nested too deeply (more than ${MAX_DEPTH} levels)`,
      })),
    ],
  };
}

/**
 * Whether a parsed value nests deeper than `max`. Recursive, but never more than `max` calls
 * deep, so any value is safe to measure (an explicit stack of [value, depth] pairs cost a
 * fifth of reading the 2,000-namespace benchmark mesh in allocations).
 */
export function depthExceeds(value: unknown, max: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (max <= 0) return true;
  if (Array.isArray(value)) {
    for (const child of value) if (depthExceeds(child, max - 1)) return true;
    return false;
  }
  for (const key in value) if (depthExceeds((value as Record<string, unknown>)[key], max - 1)) return true;
  return false;
}

/**
 * The line (from `fromLine` on) where the text first nests deeper than MAX_DEPTH, counting flow
 * brackets and growing indentation; `fromLine` (or 1) when that cannot be told.
 */
export function nestingLine(text: string, fromLine: number): number {
  let line = 1;
  let flow = 0;
  const indents: number[] = [];
  let atLineStart = true;
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") {
      line++;
      atLineStart = true;
      continue;
    }
    if (line < fromLine) continue;
    if (atLineStart) {
      atLineStart = false;
      let width = 0;
      while (text[i + width] === " " || text[i + width] === "-") width++;
      if (text[i + width] !== "\n" && text[i + width] !== "#") {
        while (indents.length > 0 && (indents[indents.length - 1] as number) >= width) indents.pop();
        indents.push(width);
      }
    }
    if (quote) {
      if (c === quote) quote = "";
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "[" || c === "{") flow++;
    else if (c === "]" || c === "}") flow--;
    if (flow + indents.length > MAX_DEPTH) return line;
  }
  return Math.max(fromLine, 1);
}

function parseJson(text: string): ParsedText | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // maybe YAML, or malformed: the YAML paths decide and locate the error
  }
  const first = text.length - text.trimStart().length;
  const documents = value === null ? [] : [{ value, line: lineAt(text, first) }];
  return { documents, problems: [] };
}

export function parseYamlFast(text: string): ParsedText | undefined {
  if (text.includes("<<")) return undefined; // a merge key, maybe: js-yaml's events do not merge
  let events: Event[];
  let values: unknown[];
  try {
    events = parseEvents(text, {});
    // js-yaml shares aliased nodes and counts aliases, not the nodes they expand to, so an
    // alias bomb would pass and blow up later output: aliases (rare in manifests) take the
    // precise path, whose limit counts expanded nodes.
    // json: false: a duplicate key throws, and the precise path names both places.
    values = constructFromEvents(events, { source: text, json: false, maxAliases: 0 });
  } catch {
    return undefined;
  }
  const lines = new LineCursor(text);
  const documents: ParsedDocument[] = [];
  let index = 0;
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as Event;
    if (event.type !== EVENT_ID.DOCUMENT) continue;
    // `%YAML 1.1` would change how scalars resolve: leave such texts to the `yaml` package.
    if (event.directives.length > 0) return undefined;
    const value = values[index++];
    if (value === null || value === undefined) continue; // empty document (e.g. a trailing ---)
    documents.push({ value, line: lines.lineOf(startOf(events[i + 1])) });
  }
  return index === values.length ? { documents, problems: [] } : undefined;
}

/** Where a document's root node starts: its value, after any anchor or tag (as `yaml` does). */
function startOf(root: Event | undefined): number {
  if (root?.type === EVENT_ID.MAPPING || root?.type === EVENT_ID.SEQUENCE) return root.start;
  if (root?.type === EVENT_ID.SCALAR) return Math.max(root.valueStart, 0);
  return 0;
}

/** The reference path (tests hold the fast paths to it). */
export function parseYamlPrecise(text: string): ParsedText {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true });
  const parsed: ParsedText = { documents: [], problems: [] };
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const line = err.linePos?.[0].line ?? lineCounter.linePos(err.pos[0]).line;
        parsed.problems.push({ line, message: `malformed YAML: ${err.message.split("\n")[0]}` });
      }
      continue;
    }
    const duplicates = duplicateKeys(doc, lineCounter);
    if (duplicates.length > 0) {
      parsed.problems.push(...duplicates);
      continue;
    }
    // The first line of the object itself, not the `---` marker or comments before it.
    const line = lineCounter.linePos(doc.contents?.range[0] ?? doc.range[0]).line;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (err) {
      parsed.problems.push({ line, message: `cannot read: ${(err as Error).message}` }); // alias bomb
      continue;
    }
    if (value === null || value === undefined) continue;
    parsed.documents.push({ value, line });
  }
  return parsed;
}

/** Keys given twice in one mapping: kubectl refuses them, rather than keep one silently. */
function duplicateKeys(doc: Document, lineCounter: LineCounter): ParseProblem[] {
  const problems: ParseProblem[] = [];
  visit(doc, {
    Map(_, map) {
      const first = new Map<string, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || pair.key.value === "<<") continue;
        const key = String(pair.key.value);
        const line = lineCounter.linePos(pair.key.range?.[0] ?? 0).line;
        const earlier = first.get(key);
        if (earlier === undefined) first.set(key, line);
        else problems.push({ line, message: `duplicate key "${key}" (first at line ${earlier})` });
      }
    },
  });
  return problems;
}

function lineAt(text: string, offset: number): number {
  return new LineCursor(text).lineOf(offset);
}

/** Line numbers for increasing offsets, counting each newline once. */
class LineCursor {
  private offset = 0;
  private line = 1;

  constructor(private readonly text: string) {}

  lineOf(offset: number): number {
    if (offset < this.offset) {
      this.offset = 0;
      this.line = 1;
    }
    let next = this.text.indexOf("\n", this.offset);
    while (next !== -1 && next < offset) {
      this.line++;
      next = this.text.indexOf("\n", next + 1);
    }
    this.offset = offset;
    return this.line;
  }
}
