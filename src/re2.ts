// User regexes (VirtualService matches, PromQL label matchers) are RE2: Envoy, istiod and
// Prometheus read them with RE2, whose matching is linear in the input. JavaScript's own
// engine backtracks, so `(a+)+b` on a long path would hang the tool; re2js is RE2 in pure
// JavaScript, with RE2's syntax (no lookarounds or backreferences) and RE2's linear matching.

import { RE2JS } from "re2js";

type Compiled = { matcher: RE2JS } | { problem: string };

/** Patterns read so far; bounded so that a hostile input cannot grow it without limit. */
const cache = new Map<string, Compiled>();
const CACHE_LIMIT = 10_000;

function compile(pattern: string): Compiled {
  let compiled = cache.get(pattern);
  if (compiled) return compiled;
  try {
    compiled = { matcher: RE2JS.compile(pattern) };
  } catch (err) {
    compiled = { problem: (err as Error).message.replace(/^error parsing regexp: /, "") };
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

/** Why RE2 rejects the pattern, or undefined when it reads it. */
export function re2Problem(pattern: string): string | undefined {
  const compiled = compile(pattern);
  return "problem" in compiled ? compiled.problem : undefined;
}

/** Whether the pattern accepts the whole text (as Envoy's safe_regex does); undefined when RE2 rejects it. */
export function re2FullMatch(pattern: string, text: string): boolean | undefined {
  const compiled = compile(pattern);
  return "matcher" in compiled ? compiled.matcher.matches(text) : undefined;
}

/** Whether the pattern occurs anywhere in the text (JSON Schema's `pattern`); undefined when RE2 rejects it. */
export function re2Find(pattern: string, text: string): boolean | undefined {
  const compiled = compile(pattern);
  return "matcher" in compiled ? compiled.matcher.matcher(text).find() : undefined;
}
