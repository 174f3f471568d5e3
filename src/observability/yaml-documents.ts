// Rewrites the PromQL carried in YAML files: Prometheus rule files (`groups:`), PrometheusRule
// objects (spec.groups), ConfigMaps whose data values are Grafana dashboards, and `kind: List`
// of those. Scalars are edited in place through the `yaml` library's source ranges, so comments,
// quoting and indentation elsewhere stay exactly as they were.

import { isScalar, parseAllDocuments, type Scalar } from "yaml";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { parseDocuments } from "../inventory/parse-documents.js";
import {
  type DocumentRewrite,
  type ExpressionReport,
  isDashboard,
  rewriteDashboardText,
} from "./dashboard.js";
import { type RewriteMode, rewriteExpression } from "./promql.js";
import { encodeJsonString, type JsonPath, spliceDecodedEdits } from "./splice.js";
import { applyEdits, type TextEdit } from "./text-edits.js";

// biome-ignore lint/suspicious/noExplicitAny: raw YAML documents
type Json = any;

interface Carrier {
  /** Path of the string within the document. */
  path: JsonPath;
  kind: "rule" | "dashboard";
  location: string;
}

export function rewriteYamlText(text: string, mode: RewriteMode, source: string): DocumentRewrite {
  const edits: TextEdit[] = [];
  const expressions: ExpressionReport[] = [];
  const expected: { docIndex: number; path: JsonPath; value: string }[] = [];
  // Read as -f reads manifests first, so that every problem is reported the same way (file:line).
  const checked = parseDocuments(text, false);
  const problem = checked.problems[0];
  if (problem)
    throw new AmbientMigrateError(`${source}:${problem.line}: ${problem.message}`, ExitCode.invalidInput);
  const docs = parseAllDocuments(text, { uniqueKeys: false });
  docs.forEach((doc, docIndex) => {
    const value = doc.toJS({ maxAliasCount: 1000 });
    for (const carrier of carriersIn(value, [])) {
      const node = doc.getIn(carrier.path, true);
      if (!isScalar(node) || typeof node.value !== "string" || !node.range) continue;
      const decoded = node.value;
      const [from, to] = node.range;
      const where = `${source}: ${carrier.location}`;
      let inner: DocumentRewrite;
      if (carrier.kind === "rule") {
        const r = rewriteExpression(decoded, mode);
        const { edits: ruleEdits, ...rest } = r;
        inner = {
          text: r.text,
          edits: ruleEdits,
          expressions: [
            {
              ...rest,
              source,
              location: carrier.location,
              place: "rule",
              path: carrier.path,
              original: decoded,
            },
          ],
        };
      } else {
        inner = rewriteDashboardText(decoded, mode, where);
      }
      if (inner.edits.length > 0) {
        const mapped = spliceDecodedEdits(text, from, to, decoded, inner.edits, encoderFor(node.type));
        if ("error" in mapped) {
          for (const e of inner.expressions) {
            if (e.status === "rewritten")
              Object.assign(e, { status: "flagged", text: e.original, reasons: [mapped.error] });
          }
        } else {
          edits.push(...mapped);
          expected.push({ docIndex, path: carrier.path, value: inner.text });
        }
      }
      expressions.push(
        ...inner.expressions.map((e) => (carrier.kind === "dashboard" ? { ...e, source: where } : e)),
      );
    }
  });
  const out = applyEdits(text, edits);
  verifySplice(out, expected, source);
  return { text: out, edits, expressions };
}

/** The strings of a YAML document that hold PromQL or dashboards. */
function carriersIn(value: Json, path: JsonPath): Carrier[] {
  if (typeof value !== "object" || value === null) return [];
  if (
    value.kind === "List" ||
    (typeof value.kind === "string" && value.kind.endsWith("List") && Array.isArray(value.items))
  ) {
    return (value.items ?? []).flatMap((item: Json, i: number) => carriersIn(item, [...path, "items", i]));
  }
  const name = value.metadata?.name
    ? `${value.metadata.namespace ? `${value.metadata.namespace}/` : ""}${value.metadata.name}`
    : "";
  if (value.kind === "PrometheusRule")
    return ruleCarriers(value.spec?.groups, [...path, "spec", "groups"], `PrometheusRule ${name} `);
  if (value.kind === "ConfigMap") {
    return Object.entries(value.data ?? {}).flatMap(([key, v]) =>
      typeof v === "string" && looksLikeDashboard(v)
        ? [{ path: [...path, "data", key], kind: "dashboard" as const, location: `ConfigMap ${name} ${key}` }]
        : [],
    );
  }
  if (value.kind === undefined && Array.isArray(value.groups))
    return ruleCarriers(value.groups, [...path, "groups"], "");
  return [];
}

function ruleCarriers(groups: Json, path: JsonPath, prefix: string): Carrier[] {
  if (!Array.isArray(groups)) return [];
  return groups.flatMap((g: Json, i: number) =>
    (Array.isArray(g?.rules) ? g.rules : []).flatMap((r: Json, j: number) =>
      typeof r?.expr === "string"
        ? [
            {
              path: [...path, i, "rules", j, "expr"],
              kind: "rule" as const,
              location: `${prefix}group ${JSON.stringify(g.name ?? i)} ${r.alert ? `alert ${r.alert}` : r.record ? `record ${r.record}` : `rule ${j}`}`,
            },
          ]
        : [],
    ),
  );
}

function looksLikeDashboard(text: string): boolean {
  if (!text.trimStart().startsWith("{")) return false;
  try {
    return isDashboard(JSON.parse(text));
  } catch {
    return false;
  }
}

function encoderFor(type: Scalar.Type | undefined): (s: string) => string {
  if (type === "QUOTE_DOUBLE") return encodeJsonString;
  if (type === "QUOTE_SINGLE") return (s) => s.replaceAll("'", "''");
  return (s) => s;
}

/** Reads the result back: every spliced string must now hold exactly its rewritten value. */
function verifySplice(
  text: string,
  expected: { docIndex: number; path: JsonPath; value: string }[],
  source: string,
) {
  if (expected.length === 0) return;
  const docs = parseAllDocuments(text, { uniqueKeys: false });
  for (const e of expected) {
    const got = docs[e.docIndex]?.getIn(e.path);
    if (got !== e.value) {
      throw new Error(`${source}: rewriting ${JSON.stringify(e.path)} did not produce the intended value`);
    }
  }
}
