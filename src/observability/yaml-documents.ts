// Rewrites the PromQL carried in YAML files: Prometheus rule files (`groups:`), PrometheusRule
// objects (spec.groups), ConfigMaps whose data values are Grafana dashboards, and `kind: List`
// of those. Scalars are edited in place through the `yaml` library's source ranges, so comments,
// quoting and indentation elsewhere stay exactly as they were.

import { isScalar, parseAllDocuments, type Scalar } from "yaml";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { parseDocuments } from "../inventory/parse-documents.js";
import { validateObject } from "../inventory/validate.js";
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
  const values = docs.map((doc) => doc.toJS({ maxAliasCount: 1000 }));
  const invalid = values.flatMap((value, i) => {
    const line = text.slice(0, docs[i]?.contents?.range?.[0] ?? docs[i]?.range[0] ?? 0).split("\n").length;
    return problemsIn(value).map((p) => `${source}:${line}: ${p}`);
  });
  if (invalid.length > 0)
    throw new AmbientMigrateError(
      `${source}: ${invalid.length} problem(s): rules or dashboards the tool would otherwise skip without a word`,
      ExitCode.invalidInput,
      "fix the fields listed (their schema is prometheus-operator's PrometheusRule CRD and Kubernetes' ConfigMap), or leave the file out",
      invalid,
    );
  docs.forEach((doc, docIndex) => {
    const value = values[docIndex];
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

/**
 * Schema problems of the objects this rewriter reads: PrometheusRules and ConfigMaps against
 * their real schemas, a plain rule file's groups as a PrometheusRule's spec.groups (the same
 * format), each item of a List.
 */
function problemsIn(value: Json): string[] {
  if (typeof value !== "object" || value === null) return [];
  if (Array.isArray(value.items) && typeof value.kind === "string" && value.kind.endsWith("List"))
    return value.items.flatMap(problemsIn);
  const named = `${value.kind} ${value.metadata?.namespace ? `${value.metadata.namespace}/` : ""}${value.metadata?.name ?? ""}`;
  if ((value.kind === "PrometheusRule" || value.kind === "ConfigMap") && typeof value.apiVersion === "string")
    return validateObject(value).map((p) => `${named}: ${p.path}: expected ${p.expected}`);
  if (value.kind === undefined && "groups" in value) {
    const asRule: Json = {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: { name: "rules" },
    };
    return validateObject({ ...asRule, spec: { groups: value.groups } }).map(
      (p) => `rule file: ${p.path.replace(/^spec\./, "")}: expected ${p.expected}`,
    );
  }
  return [];
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
