// Turns one manifest file's text into its documents' values, each with the line where the
// value starts. Three paths, fastest first, each falling through to the next:
//   1. JSON.parse, for .json files and texts that start with `{` (kubectl get -o json);
//   2. js-yaml's event parser, ~10x faster than the `yaml` package (whose lexer and parser
//      alone took 4 s for the 16 MB, 46,000-document benchmark mesh; js-yaml takes ~0.5 s);
//   3. the `yaml` package with a LineCounter, the precise path: it names the line of every
//      error, so any text the fast paths reject (malformed, unknown tags, directives) is
//      parsed again here and its problems are reported as before.
// Both YAML parsers resolve scalars with the YAML 1.2 core schema (no timestamps, no merge
// keys, `yes`/`on` are strings), and a later duplicate key wins in both.

import { constructFromEvents, EVENT_ID, type Event, parseEvents } from "js-yaml";
import { LineCounter, parseAllDocuments } from "yaml";

export interface ParsedDocument {
  value: unknown;
  /** 1-based line of the value's first character (not the `---` or comments before it). */
  line: number;
}

export interface ParseProblem {
  line: number;
  message: string;
}

export interface ParsedText {
  /** Non-empty documents, in order. */
  documents: ParsedDocument[];
  problems: ParseProblem[];
}

/** Aliases per document: enough for real manifests, too few for an alias bomb. */
const MAX_ALIASES = 1000;

export function parseDocuments(text: string, looksLikeJson: boolean): ParsedText {
  return (
    (looksLikeJson || text.trimStart().startsWith("{") ? parseJson(text) : undefined) ??
    parseYamlFast(text) ??
    parseYamlPrecise(text)
  );
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
  let events: Event[];
  let values: unknown[];
  try {
    events = parseEvents(text, {});
    // js-yaml shares aliased nodes and counts aliases, not the nodes they expand to, so an
    // alias bomb would pass and blow up later output: aliases (rare in manifests) take the
    // precise path, whose limit counts expanded nodes.
    values = constructFromEvents(events, { source: text, json: true, maxAliases: 0 });
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
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const parsed: ParsedText = { documents: [], problems: [] };
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const line = err.linePos?.[0].line ?? lineCounter.linePos(err.pos[0]).line;
        parsed.problems.push({ line, message: `malformed YAML: ${err.message.split("\n")[0]}` });
      }
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
