// Rewrites a Grafana dashboard's PromQL in place. Expressions live in panels[].targets[].expr
// (panels nest in collapsed rows: panels[].panels[]; legacy dashboards use rows[].panels[]),
// templating.list[].query (a string or an object with .query) and .definition, and
// annotations.list[].expr. Only those strings change; the JSON text around them stays as is.

import { AmbientMigrateError, ExitCode } from "../errors.js";
import { depthExceeds, MAX_DEPTH, nestingLine } from "../inventory/parse-documents.js";
import { validateDashboard } from "../inventory/validate.js";
import { Reporter } from "./metrics.js";
import {
  type ExpressionRewrite,
  type RewriteMode,
  rewriteExpression,
  rewriteTemplateQuery,
} from "./promql.js";
import { encodeJsonString, type JsonPath, jsonStringSpans, pathKey, spliceDecodedEdits } from "./splice.js";
import { applyEdits, type TextEdit } from "./text-edits.js";

type ExpressionPlace = "panel" | "template" | "annotation" | "variable-options" | "rule";

export interface ExpressionReport extends Omit<ExpressionRewrite, "edits"> {
  /** Which file or object the expression is in. */
  source: string;
  /** Where in it, for people: `panel 12 "Request Volume" target A`. */
  location: string;
  place: ExpressionPlace;
  path: JsonPath;
  original: string;
}

export interface DocumentRewrite {
  /** The rewritten text. */
  text: string;
  /** The edits that turn the input text into `text`. */
  edits: TextEdit[];
  expressions: ExpressionReport[];
}

interface Found {
  path: JsonPath;
  value: string;
  place: ExpressionPlace;
  location: string;
}

// biome-ignore lint/suspicious/noExplicitAny: raw dashboard JSON
type Json = any;

/** Whether a parsed JSON value looks like a Grafana dashboard. */
export function isDashboard(value: Json): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    (Array.isArray(value.panels) || Array.isArray(value.rows) || Array.isArray(value.templating?.list))
  );
}

/** The rewrite of each PromQL string in a dashboard, keyed by where it is. */
function rewriteDashboardValue(
  dashboard: Json,
  mode: RewriteMode,
): Array<Found & { result: ExpressionRewrite }> {
  return findExpressions(dashboard).map((f) => ({
    ...f,
    result:
      f.place === "panel" || f.place === "annotation"
        ? rewriteExpression(f.value, mode)
        : f.place === "variable-options"
          ? rewriteReporterOptions(f.value)
          : rewriteTemplateQuery(f.value, mode),
  }));
}

/** Rewrites a dashboard JSON text; throws invalidInput when it is not JSON. */
export function rewriteDashboardText(text: string, mode: RewriteMode, source: string): DocumentRewrite {
  let dashboard: Json;
  try {
    dashboard = JSON.parse(text);
  } catch (err) {
    throw new AmbientMigrateError(`${source}: not JSON: ${(err as Error).message}`, ExitCode.invalidInput);
  }
  if (depthExceeds(dashboard, MAX_DEPTH))
    throw new AmbientMigrateError(
      `${source}:${nestingLine(text, 1)}: nested too deeply (more than ${MAX_DEPTH} levels)`,
      ExitCode.invalidInput,
    );
  if (!isDashboard(dashboard)) {
    throw new AmbientMigrateError(
      `${source}: not a Grafana dashboard (no panels, rows or templating)`,
      ExitCode.invalidInput,
    );
  }
  const problems = validateDashboard(dashboard);
  if (problems.length > 0)
    throw new AmbientMigrateError(
      `${source}: not a dashboard the tool can rewrite without skipping parts of it`,
      ExitCode.invalidInput,
      "fix the fields listed (Grafana writes them in this shape), or leave the file out",
      problems.map((p) => `${p.path}: expected ${p.expected}`),
    );
  const found = rewriteDashboardValue(dashboard, mode);
  const keys = new Set(found.map((f) => f.path.at(-1)).filter((k): k is string => typeof k === "string"));
  const spans = new Map(jsonStringSpans(text, keys).map((s) => [pathKey(s.path), s]));
  const edits: TextEdit[] = [];
  const expressions: ExpressionReport[] = [];
  for (const f of found) {
    let result = f.result;
    if (result.status === "rewritten") {
      const span = spans.get(pathKey(f.path));
      const mapped = span
        ? spliceDecodedEdits(text, span.start + 1, span.end - 1, f.value, result.edits, encodeJsonString)
        : { error: "string not found in the text" };
      if ("error" in mapped)
        result = { ...result, status: "flagged", text: f.value, reasons: [mapped.error] };
      else edits.push(...mapped);
    }
    const { edits: _, ...rest } = result;
    expressions.push({
      ...rest,
      source,
      location: f.location,
      place: f.place,
      path: f.path,
      original: f.value,
    });
  }
  return { text: applyEdits(text, edits), edits, expressions };
}

function findExpressions(dashboard: Json): Found[] {
  const found: Found[] = [];
  const str = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";
  const walkPanels = (panels: Json, path: JsonPath, prefix: string) => {
    if (!Array.isArray(panels)) return;
    panels.forEach((panel: Json, i: number) => {
      const here = [...path, i];
      const name = `${prefix}panel ${panel?.id ?? i}${panel?.title ? ` ${JSON.stringify(panel.title)}` : ""}`;
      (Array.isArray(panel?.targets) ? panel.targets : []).forEach((t: Json, j: number) => {
        if (str(t?.expr)) {
          found.push({
            path: [...here, "targets", j, "expr"],
            value: t.expr,
            place: "panel",
            location: `${name} target ${t.refId ?? j}`,
          });
        }
      });
      walkPanels(panel?.panels, [...here, "panels"], "");
    });
  };
  walkPanels(dashboard.panels, ["panels"], "");
  (Array.isArray(dashboard.rows) ? dashboard.rows : []).forEach((row: Json, i: number) => {
    walkPanels(row?.panels, ["rows", i, "panels"], `row ${JSON.stringify(row?.title ?? i)} `);
  });
  (Array.isArray(dashboard.templating?.list) ? dashboard.templating.list : []).forEach(
    (v: Json, i: number) => {
      const path: JsonPath = ["templating", "list", i];
      const name = `variable ${v?.name ?? i}`;
      if (v?.type === "custom") {
        if (str(v.query))
          found.push({
            path: [...path, "query"],
            value: v.query,
            place: "variable-options",
            location: `${name} options`,
          });
        return;
      }
      if (v?.type !== "query") return;
      if (str(v.query))
        found.push({
          path: [...path, "query"],
          value: v.query,
          place: "template",
          location: `${name} query`,
        });
      else if (str(v.query?.query)) {
        found.push({
          path: [...path, "query", "query"],
          value: v.query.query,
          place: "template",
          location: `${name} query`,
        });
      }
      if (str(v.definition))
        found.push({
          path: [...path, "definition"],
          value: v.definition,
          place: "template",
          location: `${name} definition`,
        });
    },
  );
  (Array.isArray(dashboard.annotations?.list) ? dashboard.annotations.list : []).forEach(
    (a: Json, i: number) => {
      const path: JsonPath = ["annotations", "list", i];
      const name = `annotation ${JSON.stringify(a?.name ?? i)}`;
      if (str(a?.expr))
        found.push({ path: [...path, "expr"], value: a.expr, place: "annotation", location: name });
      if (str(a?.target?.expr))
        found.push({
          path: [...path, "target", "expr"],
          value: a.target.expr,
          place: "annotation",
          location: name,
        });
    },
  );
  return found;
}

/**
 * A custom variable whose options are reporter values (Istio's `qrep`: `source,destination`)
 * gets `waypoint` as an option too. Grafana rebuilds a custom variable's options from `query`
 * when the dashboard loads, so the stored `options` array is left as it is.
 */
function rewriteReporterOptions(query: string): ExpressionRewrite {
  const options = query.split(",").map((o) => o.trim());
  const isReporterList =
    options.length > 0 && options.every((o) => (Object.values(Reporter) as string[]).includes(o));
  const base = { edits: [], reasons: [], notes: [], rewrittenMatchers: 0 };
  if (!isReporterList || options.includes(Reporter.waypoint))
    return { ...base, status: "unchanged", text: query };
  const addition = `,${Reporter.waypoint}`;
  return {
    ...base,
    status: "rewritten",
    text: query + addition,
    edits: [{ start: 0, end: query.length, text: query + addition }],
    notes: ["reporter variable: waypoint added to its options"],
  };
}
