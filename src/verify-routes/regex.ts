// RE2 as Envoy uses it (safe_regex: the whole value must match; regex_rewrite), and witnesses:
// strings a pattern matches, to put in the request set. Witnesses are checked against the
// pattern with RE2, so a wrong guess is dropped, never used.

import { RE2JS } from "re2js";
import { re2FullMatch, re2Problem } from "../re2.js";

/** Envoy's safe_regex: RE2 on the whole value; a pattern RE2 rejects matches nothing. */
export function fullMatch(pattern: string, value: string): boolean {
  return re2FullMatch(pattern, value) ?? false;
}

function isValidPattern(pattern: string): boolean {
  return re2Problem(pattern) === undefined;
}

/**
 * Envoy's regex_rewrite: every match in the path replaced (RE2::GlobalReplace), with \N in the
 * substitution naming a group; undefined when RE2 rejects the pattern.
 */
export function rewriteAll(pattern: string, input: string, substitution: string): string | undefined {
  if (!isValidPattern(pattern)) return undefined;
  const replacement = substitution.replaceAll("$", "$$$$").replace(/\\(\d)/g, "$$$1");
  return RE2JS.compile(pattern).matcher(input).replaceAll(replacement);
}

interface Gen {
  /** Choice for optional and repeated parts: the fewest repetitions, or one more. */
  more: boolean;
}

const CLASS_SAMPLES: Record<string, string> = { d: "1", w: "a", s: " ", D: "a", W: "-", S: "a" };

/** A small generator for the RE2 subset routes use: literals, classes, groups, |, quantifiers. */
class Walker {
  private i = 0;
  constructor(
    private readonly p: string,
    private readonly gen: Gen,
  ) {}

  run(): string {
    const out = this.alternation();
    return out;
  }

  private alternation(): string {
    const first = this.sequence();
    while (this.p[this.i] === "|") {
      this.i++;
      this.sequence(); // the first alternative is the witness; parse the others away
    }
    return first;
  }

  private sequence(): string {
    let out = "";
    while (this.i < this.p.length && this.p[this.i] !== "|" && this.p[this.i] !== ")") {
      const atom = this.atom();
      out += this.quantify(atom);
    }
    return out;
  }

  private quantify(atom: string): string {
    const c = this.p[this.i];
    let min = 1;
    let max = 1;
    if (c === "*" || c === "+" || c === "?") {
      this.i++;
      min = c === "+" ? 1 : 0;
      max = c === "?" ? 1 : 2;
    } else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.p.slice(this.i));
      if (m) {
        this.i += m[0].length;
        min = Number(m[1]);
        max = m[2] ? (m[3] ? Number(m[3]) : min + 1) : min;
      }
    }
    if (this.p[this.i] === "?") this.i++; // lazy: same language
    const n = this.gen.more ? Math.min(min + 1, max) : min;
    return atom.repeat(n);
  }

  private atom(): string {
    const c = this.p[this.i++] ?? "";
    switch (c) {
      case "^":
      case "$":
        return "";
      case ".":
        return "a";
      case "\\":
        return this.escape();
      case "[":
        return this.charClass();
      case "(": {
        if (this.p[this.i] === "?") {
          const m = /^\?(:|P?<[^>]+>|[imsU-]+:|[imsU-]+\))/.exec(this.p.slice(this.i));
          if (m) {
            this.i += m[0].length;
            if (m[0].endsWith(")")) return "";
          }
        }
        const inner = this.alternation();
        if (this.p[this.i] === ")") this.i++;
        return inner;
      }
      default:
        return c;
    }
  }

  private escape(): string {
    const c = this.p[this.i++] ?? "";
    if (c in CLASS_SAMPLES) return CLASS_SAMPLES[c] ?? "";
    if (c === "b" || c === "B" || c === "A" || c === "z") return "";
    if (c === "n") return "\n";
    if (c === "t") return "\t";
    return c;
  }

  private charClass(): string {
    const negated = this.p[this.i] === "^";
    if (negated) this.i++;
    const members: [string, string][] = [];
    let first = true;
    while (this.i < this.p.length && (this.p[this.i] !== "]" || first)) {
      first = false;
      let lo = this.p[this.i++] ?? "";
      if (lo === "\\") lo = this.escape();
      else if (lo === "[" && this.p[this.i] === ":") {
        const end = this.p.indexOf(":]", this.i);
        const name = this.p.slice(this.i + 1, end);
        this.i = end + 2;
        lo = name === "digit" ? "1" : name === "space" ? " " : "a";
      }
      let hi = lo;
      if (this.p[this.i] === "-" && this.p[this.i + 1] !== "]") {
        this.i++;
        hi = this.p[this.i++] ?? lo;
        if (hi === "\\") hi = this.escape();
      }
      members.push([lo, hi]);
    }
    this.i++; // ]
    if (!negated) return members[0]?.[0] ?? "a";
    for (const candidate of ["a", "x", "1", "-", "Z"]) {
      if (!members.some(([lo, hi]) => candidate >= lo && candidate <= hi)) return candidate;
    }
    return "~";
  }
}

/** Up to two distinct strings the pattern matches (fewest repetitions, one more); [] if none found. */
export function witnesses(pattern: string): string[] {
  const body = pattern.startsWith("(?i)") ? pattern.slice(4) : pattern;
  const out: string[] = [];
  for (const more of [false, true]) {
    let w: string;
    try {
      w = new Walker(body, { more }).run();
    } catch {
      continue;
    }
    if (fullMatch(pattern, w) && !out.includes(w)) out.push(w);
  }
  return out;
}
