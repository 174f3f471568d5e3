// Kubernetes label selectors as kubectl's -l takes them: `a=b`, `a==b`, `a!=b`, `a`, `!a`,
// `a in (x,y)`, `a notin (x,y)`, joined by commas.

import { AmbientMigrateError, ExitCode } from "../errors.js";

export type LabelSelector = (labels: Record<string, string>) => boolean;

export function parseSelector(text: string): LabelSelector {
  const terms = splitTerms(text).map((term) => parseTerm(term.trim(), text));
  return (labels) => terms.every((t) => t(labels));
}

function splitTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
    else if (text[i] === "," && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.filter((t) => t.trim() !== "");
}

function parseTerm(term: string, whole: string): LabelSelector {
  const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set) {
    const [, key, op, list] = set as unknown as [string, string, string, string];
    const values = new Set(list.split(",").map((v) => v.trim()));
    return op === "in"
      ? (l) => l[key] !== undefined && values.has(l[key])
      : (l) => l[key] === undefined || !values.has(l[key]);
  }
  const eq = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term);
  if (eq) {
    const [, key, op, value] = eq as unknown as [string, string, string, string];
    return op === "!=" ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  const exists = /^(!?)([\w./-]+)$/.exec(term);
  if (exists) {
    const [, not, key] = exists as unknown as [string, string, string];
    return not ? (l) => l[key] === undefined : (l) => l[key] !== undefined;
  }
  throw new AmbientMigrateError(
    `invalid label selector "${whole}": cannot read "${term}"`,
    ExitCode.usage,
    'use kubectl\'s syntax, e.g. -l "istio-injection=enabled" or -l "istio.io/rev in (1-26,1-27)"',
  );
}
