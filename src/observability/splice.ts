// Splicing rewritten strings back into the file they came from, so that only the rewritten
// strings change: JSON string literals found by a position-keeping scan, YAML scalars by the
// `yaml` library's source ranges. An edit inside a decoded string is located in the source by
// its encoded form; when that is ambiguous the splice refuses rather than guess.

import type { TextEdit } from "./text-edits.js";

export type JsonPath = (string | number)[];

export interface StringLiteralSpan {
  path: JsonPath;
  /** Offsets of the literal in the text, quotes included. */
  start: number;
  end: number;
}

/**
 * The string values of a JSON text with their paths (object keys are not values); with `keys`,
 * only those whose last path element is one of them (it saves building every path).
 */
export function jsonStringSpans(text: string, keys?: ReadonlySet<string>): StringLiteralSpan[] {
  const spans: StringLiteralSpan[] = [];
  const path: JsonPath = [];
  let i = 0;
  const ws = () => {
    for (let c = text.charCodeAt(i); c === 32 || c === 10 || c === 13 || c === 9; c = text.charCodeAt(++i));
  };
  const str = (): number => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return start;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '"') {
      const start = str();
      const last = path[path.length - 1];
      if (!keys || (typeof last === "string" && keys.has(last)))
        spans.push({ path: [...path], start, end: i });
    } else if (c === "{") {
      i++;
      ws();
      while (text[i] !== "}") {
        const keyStart = str();
        path.push(JSON.parse(text.slice(keyStart, i)) as string);
        ws();
        i++; // :
        value();
        path.pop();
        ws();
        if (text[i] === ",") i++;
        ws();
      }
      i++;
    } else if (c === "[") {
      i++;
      ws();
      for (let n = 0; text[i] !== "]"; n++) {
        path.push(n);
        value();
        path.pop();
        ws();
        if (text[i] === ",") i++;
        ws();
      }
      i++;
    } else {
      while (i < text.length && !/[\s,\]}]/.test(text[i] as string)) i++;
    }
  };
  value();
  return spans;
}

export const pathKey = (path: readonly (string | number)[]): string => JSON.stringify(path);

export const encodeJsonString = (s: string): string => JSON.stringify(s).slice(1, -1);

/**
 * Maps edits made to a decoded string onto its source text between `from` and `to`, where the
 * decoded text appears encoded by `encode`. Each edit's original snippet must occur as often in
 * the source as in the decoded text; its k-th occurrence then is the k-th in the source.
 */
export function spliceDecodedEdits(
  source: string,
  from: number,
  to: number,
  decoded: string,
  edits: readonly TextEdit[],
  encode: (s: string) => string,
): TextEdit[] | { error: string } {
  const out: TextEdit[] = [];
  const cache = new Map<string, { decoded: number[]; source: number[] }>();
  for (const e of edits) {
    const snippet = decoded.slice(e.start, e.end);
    if (snippet === "" || snippet.includes("\n"))
      return { error: `cannot locate edit ${JSON.stringify(snippet)}` };
    let found = cache.get(snippet);
    if (!found) {
      found = {
        decoded: occurrences(decoded, snippet, 0, decoded.length),
        source: occurrences(source, encode(snippet), from, to),
      };
      cache.set(snippet, found);
    }
    if (found.decoded.length !== found.source.length) {
      return { error: `the source encodes ${JSON.stringify(snippet)} in more than one way; edit it by hand` };
    }
    const k = found.decoded.indexOf(e.start);
    const at = found.source[k] as number;
    out.push({ start: at, end: at + encode(snippet).length, text: encode(e.text) });
  }
  return out;
}

function occurrences(text: string, snippet: string, from: number, to: number): number[] {
  const found: number[] = [];
  for (
    let at = text.indexOf(snippet, from);
    at >= 0 && at + snippet.length <= to;
    at = text.indexOf(snippet, at + 1)
  ) {
    found.push(at);
  }
  return found;
}
