// Grafana template syntax inside PromQL. Variables ($var, ${var}, ${var:fmt}, [[var]],
// $__rate_interval...) are not PromQL: before parsing, each one outside a string literal is
// replaced by a placeholder of the same length that is valid where it stands (a duration inside
// [...] or after `offset`, a number after `@`, an identifier elsewhere). Same length means the
// parse tree's offsets are offsets into the original text, so edits splice into the original.
// Variables inside string literals ("$qrep") are already valid PromQL and stay as they are.

export interface Placeholder {
  start: number;
  end: number;
  /** The variable as written. */
  original: string;
}

export interface Substituted {
  text: string;
  placeholders: Placeholder[];
}

const VARIABLE_PATTERN = String.raw`\$\{[^}\s]+\}|\[\[[^\[\]\s]+\]\]|\$\w+`;
const VARIABLE = new RegExp(VARIABLE_PATTERN, "y");

/** Whether a string holds a Grafana variable reference. */
export function hasGrafanaVariable(text: string): boolean {
  return new RegExp(VARIABLE_PATTERN).test(text);
}

/** Names of the variables a text refers to (`qrep` for `$qrep`, `${qrep:regex}`, `[[qrep]]`). */
export function grafanaVariableNames(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/\$\{(\w+)[^}]*\}|\[\[(\w+)[^\]]*\]\]|\$(\w+)/g)) {
    const name = m[1] ?? m[2] ?? m[3];
    if (name) names.push(name);
  }
  return names;
}

type Context = "duration" | "number" | "identifier";

export function substituteVariables(text: string): Substituted {
  const placeholders: Placeholder[] = [];
  let out = "";
  let bracketDepth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"' || c === "'" || c === "`") {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end;
      continue;
    }
    if (c === "#") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      out += text.slice(i, stop);
      i = stop;
      continue;
    }
    VARIABLE.lastIndex = i;
    const match = c === "$" || c === "[" ? VARIABLE.exec(text) : null;
    if (match) {
      const original = match[0];
      const context = contextAt(text, i, bracketDepth);
      out += placeholderFor(original.length, context, text[i + original.length]);
      placeholders.push({ start: i, end: i + original.length, original });
      i += original.length;
      continue;
    }
    if (c === "[") bracketDepth++;
    else if (c === "]") bracketDepth = Math.max(0, bracketDepth - 1);
    out += c;
    i++;
  }
  return { text: out, placeholders };
}

/** Puts the variables back; with unchanged offsets it is the exact inverse of substitution. */
export function restoreVariables(text: string, placeholders: readonly Placeholder[]): string {
  let out = "";
  let last = 0;
  for (const p of placeholders) {
    out += text.slice(last, p.start) + p.original;
    last = p.end;
  }
  return out + text.slice(last);
}

function stringEnd(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\" && quote !== "`") i += 2;
    else if (c === quote) return i + 1;
    else i++;
  }
  return text.length;
}

function contextAt(text: string, index: number, bracketDepth: number): Context {
  if (bracketDepth > 0) return "duration";
  const before = text.slice(0, index).trimEnd();
  if (before.endsWith("@")) return "number";
  if (/(^|[^\w:])offset$/i.test(before)) return "duration";
  return "identifier";
}

function placeholderFor(length: number, context: Context, next: string | undefined): string {
  if (context === "identifier") return "_".repeat(length);
  // A unit letter right after the variable (`[${n}m]`) makes the placeholder the number part.
  if (context === "number" || (next !== undefined && /[a-z]/i.test(next))) return "1".repeat(length);
  return `${"1".repeat(length - 1)}s`;
}

export interface TemplateQuery {
  /** The PromQL inside the Grafana wrapper, as offsets into the query text. */
  start: number;
  end: number;
  wrapper: "label_values" | "query_result" | "none";
}

/**
 * The PromQL part of a template variable's query: `label_values(expr, label)` and
 * `query_result(expr)` are Grafana functions around PromQL; `label_values(label)`,
 * `label_names()` and `metrics(regex)` hold none (undefined).
 */
export function templateQueryExpression(query: string): TemplateQuery | undefined {
  const m = /^\s*(label_values|query_result|label_names|metrics)\s*\(/.exec(query);
  if (!m) return query.trim() === "" ? undefined : { start: 0, end: query.length, wrapper: "none" };
  const fn = m[1] as string;
  const open = m[0].length;
  const close = matchingParen(query, open - 1);
  if (close < 0 || fn === "label_names" || fn === "metrics") return undefined;
  if (fn === "query_result") return { start: open, end: close, wrapper: "query_result" };
  const comma = lastTopLevelComma(query, open, close);
  if (comma < 0) return undefined; // label_values(label): no expression
  return { start: open, end: comma, wrapper: "label_values" };
}

function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === "`") i = stringEnd(text, i) - 1;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  return -1;
}

function lastTopLevelComma(text: string, from: number, to: number): number {
  let depth = 0;
  let comma = -1;
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === "`") i = stringEnd(text, i) - 1;
    else if (c === "(" || c === "{" || c === "[") depth++;
    else if (c === ")" || c === "}" || c === "]") depth--;
    else if (c === "," && depth === 0) comma = i;
  }
  return comma;
}
