// Rewrites the `reporter` matchers of Istio's L7 metric families in one PromQL expression.
// The expression is parsed with the Prometheus project's own grammar (@prometheus-io/lezer-promql)
// and edits are spliced into the original text by offsets: everything else stays byte for byte.

import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";
import { re2FullMatch, re2Problem } from "../re2.js";
import { hasGrafanaVariable, substituteVariables, templateQueryExpression } from "./grafana-vars.js";
import { metricFamilyKind, REPORTER_LABEL, Reporter, SIDECAR_REPORTERS } from "./metrics.js";
import { applyEdits, type TextEdit } from "./text-edits.js";

/**
 * during: sidecars and waypoints both live, so waypoint is added to what was matched.
 * after: every workload is ambient, so L7 series come from waypoints only.
 */
export type RewriteMode = "during" | "after";

type ExpressionStatus = "rewritten" | "unchanged" | "flagged";

export interface ExpressionRewrite {
  status: ExpressionStatus;
  /** The expression after rewriting (the original when unchanged or flagged). */
  text: string;
  /** Edits in the original expression's offsets (empty unless rewritten). */
  edits: TextEdit[];
  /** Why a person must look at it (flagged only). */
  reasons: string[];
  /** What else is worth knowing (TCP families, L7 selectors without reporter matcher). */
  notes: string[];
  /** How many reporter matchers on L7 families were rewritten. */
  rewrittenMatchers: number;
}

export const TCP_NOTE =
  "istio_tcp_* left alone: ztunnel reports them with reporter=source (outbound) and destination (inbound); " +
  "numbers rise because HTTP connections now count as TCP";
export const NO_REPORTER_NOTE =
  "L7 selector without a reporter matcher: it sums every reporter, so requests seen by a sidecar and a waypoint count twice";

export function rewriteExpression(expression: string, mode: RewriteMode): ExpressionRewrite {
  const { text: parseable } = substituteVariables(expression);
  const tree = parser.parse(parseable);
  const errorAt = firstErrorOffset(tree.topNode);
  if (errorAt !== undefined) {
    return flagged(expression, [
      `not parsable as PromQL near offset ${errorAt}: ${excerpt(expression, errorAt)}`,
    ]);
  }
  const edits: TextEdit[] = [];
  const reasons: string[] = [];
  const notes = new Set<string>();
  const cursor = tree.cursor();
  do {
    if (cursor.name !== "VectorSelector") continue;
    const selector = readSelector(cursor.node, expression);
    const family = selector.metric === undefined ? "other" : metricFamilyKind(selector.metric);
    if (family === "other") continue;
    const reporters = selector.matchers.filter((m) => m.label === REPORTER_LABEL);
    if (family === "tcp") {
      if (reporters.length > 0) notes.add(TCP_NOTE);
      continue;
    }
    if (reporters.length === 0) notes.add(NO_REPORTER_NOTE);
    for (const matcher of reporters) {
      const outcome = rewriteReporterMatcher(matcher, mode);
      if (outcome.kind === "flag") reasons.push(`${selector.metric}{${matcher.source}}: ${outcome.reason}`);
      else if (outcome.kind === "edit") edits.push(outcome.edit);
    }
  } while (cursor.next());
  if (reasons.length > 0) return { ...flagged(expression, reasons), notes: [...notes] };
  if (edits.length === 0) return unchanged(expression, [...notes]);
  return {
    status: "rewritten",
    text: applyEdits(expression, edits),
    edits,
    reasons: [],
    notes: [...notes],
    rewrittenMatchers: edits.length,
  };
}

/** A template variable's query: the PromQL inside `label_values(...)`/`query_result(...)`. */
export function rewriteTemplateQuery(query: string, mode: RewriteMode): ExpressionRewrite {
  const inner = templateQueryExpression(query);
  if (!inner) return unchanged(query, ["no PromQL expression in this template query"]);
  const result = rewriteExpression(query.slice(inner.start, inner.end), mode);
  if (result.status !== "rewritten") return { ...result, text: query };
  const edits = result.edits.map((e) => ({ ...e, start: e.start + inner.start, end: e.end + inner.start }));
  return { ...result, text: applyEdits(query, edits), edits };
}

interface Matcher {
  label: string;
  op: "=" | "!=" | "=~" | "!~";
  /** The string literal as written, quotes included. */
  literal: string;
  /** Offsets of the operator and the literal in the original text. */
  start: number;
  end: number;
  source: string;
}

interface Selector {
  metric: string | undefined;
  matchers: Matcher[];
}

function readSelector(node: SyntaxNode, text: string): Selector {
  let metric = node.getChild("Identifier") ? slice(text, node.getChild("Identifier")!) : undefined;
  const matchers: Matcher[] = [];
  const list = node.getChild("LabelMatchers");
  for (const m of list
    ? [...list.getChildren("UnquotedLabelMatcher"), ...list.getChildren("QuotedLabelMatcher")]
    : []) {
    const nameNode = m.getChild("LabelName") ?? m.getChild("QuotedLabelName");
    const opNode = m.getChild("MatchOp");
    const valueNode = m.getChildren("StringLiteral").at(-1);
    if (!nameNode || !opNode || !valueNode) continue;
    let label = slice(text, nameNode);
    if (nameNode.name === "QuotedLabelName") label = unquote(label) ?? label;
    const matcher: Matcher = {
      label,
      op: slice(text, opNode) as Matcher["op"],
      literal: slice(text, valueNode),
      start: opNode.from,
      end: valueNode.to,
      source: slice(text, m),
    };
    // {__name__="istio_requests_total"} names the metric as a matcher.
    if (label === "__name__" && matcher.op === "=" && metric === undefined) metric = unquote(matcher.literal);
    matchers.push(matcher);
  }
  matchers.sort((a, b) => a.start - b.start);
  return { metric, matchers };
}

type MatcherOutcome = { kind: "keep" } | { kind: "edit"; edit: TextEdit } | { kind: "flag"; reason: string };

function rewriteReporterMatcher(matcher: Matcher, mode: RewriteMode): MatcherOutcome {
  if (matcher.op === "!=" || matcher.op === "!~") {
    return {
      kind: "flag",
      reason: "negative reporter matcher: decide by hand what it should exclude in ambient",
    };
  }
  const value = unquote(matcher.literal);
  if (value === undefined) return { kind: "flag", reason: "reporter value with escapes: edit by hand" };
  const quote = matcher.literal[0] as string;
  const edit = (op: string, v: string): MatcherOutcome => ({
    kind: "edit",
    edit: { start: matcher.start, end: matcher.end, text: `${op}${quote}${v}${quote}` },
  });
  const variable = hasGrafanaVariable(value);
  const matches = variable ? undefined : literalMatches(matcher.op, value);
  if (!variable && matches === undefined) {
    return {
      kind: "flag",
      reason: `reporter regex ${matcher.literal} is not one RE2 (Prometheus's regex engine) reads: edit by hand`,
    };
  }
  if (matches && !matches.waypoint && !matches.sidecar) {
    return {
      kind: "flag",
      reason: `reporter ${matcher.literal} matches none of source, destination, waypoint`,
    };
  }
  if (mode === "after") {
    if (matcher.op === "=" && value === Reporter.waypoint) return { kind: "keep" };
    return edit("=", Reporter.waypoint);
  }
  // during: keep what was matched and add waypoint (istio/istio#61815, PR #61816's "$qrep|waypoint").
  if (variable)
    return value.includes(Reporter.waypoint) ? { kind: "keep" } : edit("=~", `${value}|${Reporter.waypoint}`);
  if (matches?.waypoint) return { kind: "keep" };
  return edit("=~", `${value}|${Reporter.waypoint}`);
}

/** Which reporter values a literal matcher selects; undefined when the regex is not evaluable. */
function literalMatches(op: "=" | "=~", value: string): { waypoint: boolean; sidecar: boolean } | undefined {
  let test: (v: string) => boolean;
  if (op === "=") test = (v) => v === value;
  else {
    // Prometheus anchors label regexes and reads them with RE2.
    if (re2Problem(value) !== undefined) return undefined;
    test = (v) => re2FullMatch(value, v) === true;
  }
  return { waypoint: test(Reporter.waypoint), sidecar: SIDECAR_REPORTERS.some(test) };
}

/** The value of a PromQL string literal without escapes; undefined if it holds any. */
function unquote(literal: string): string | undefined {
  const inner = literal.slice(1, -1);
  if (literal[0] !== "`" && inner.includes("\\")) return undefined;
  return inner;
}

function slice(text: string, node: SyntaxNode): string {
  return text.slice(node.from, node.to);
}

function firstErrorOffset(top: SyntaxNode): number | undefined {
  let at: number | undefined;
  top.cursor().iterate((n) => {
    if (at !== undefined) return false;
    if (n.type.isError) at = n.from;
    return undefined;
  });
  return at;
}

function excerpt(text: string, at: number): string {
  const from = Math.max(0, at - 20);
  return `${from > 0 ? "…" : ""}${text.slice(from, at)}⟨here⟩${text.slice(at, at + 20)}${at + 20 < text.length ? "…" : ""}`;
}

function flagged(expression: string, reasons: string[]): ExpressionRewrite {
  return { status: "flagged", text: expression, edits: [], reasons, notes: [], rewrittenMatchers: 0 };
}

function unchanged(expression: string, notes: string[]): ExpressionRewrite {
  return { status: "unchanged", text: expression, edits: [], reasons: [], notes, rewrittenMatchers: 0 };
}
