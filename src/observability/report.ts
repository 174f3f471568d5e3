// The whole `observability` answer for a set of inputs: rewritten documents, monitors, and the
// per-namespace changes. Pure: texts and the inventory in, data out; the CLI does the I/O.

import { K } from "../inventory/kinds.js";
import type { Inventory, KubeObject } from "../inventory/model.js";
import { toYaml } from "../serialize.js";
import { type NamespaceObservabilityChanges, observabilityChangesFor } from "./changes.js";
import { type DocumentRewrite, type ExpressionReport, rewriteDashboardText } from "./dashboard.js";
import { unifiedDiff } from "./diff.js";
import type { RewriteMode } from "./promql.js";
import { generateMonitors, type MonitorFinding, monitorFindings } from "./scrape.js";
import { isSpanMetricExpression } from "./tracing.js";
import { rewriteYamlText } from "./yaml-documents.js";

export interface InputDocument {
  /** A file path, or `Kind/ns/name` for an object read from a cluster. */
  source: string;
  text: string;
  format: "json" | "yaml";
  /** Read from a cluster rather than a file: written out as `Kind_ns_name.yaml`. */
  fromCluster?: boolean;
}

export interface RewrittenDocument {
  source: string;
  format: "json" | "yaml";
  fromCluster?: boolean;
  changed: boolean;
  original: string;
  text: string;
  expressions: ExpressionReport[];
}

export interface ObservabilityReport {
  mode: RewriteMode;
  documents: RewrittenDocument[];
  monitors: MonitorFinding[];
  generatedMonitors: KubeObject[];
  monitorNotes: string[];
  /** Rules built on span metrics: trace-based SLOs to revisit. */
  spanRules: { source: string; location: string }[];
  namespaces: NamespaceObservabilityChanges[];
}

export function rewriteDocument(input: InputDocument, mode: RewriteMode): RewrittenDocument {
  const result: DocumentRewrite =
    input.format === "json"
      ? rewriteDashboardText(input.text, mode, input.source)
      : rewriteYamlText(input.text, mode, input.source);
  return {
    source: input.source,
    format: input.format,
    ...(input.fromCluster ? { fromCluster: true } : {}),
    changed: result.text !== input.text,
    original: input.text,
    text: result.text,
    expressions: result.expressions,
  };
}

/** Objects from a cluster have no file: they are rewritten as the YAML they serialise to. */
export function clusterObjectDocuments(inventory: Inventory): InputDocument[] {
  return [...inventory.list(K.PrometheusRule), ...inventory.list(K.ConfigMap)]
    .filter((o) => inventory.originOf(o) === undefined)
    .map(
      (o): InputDocument => ({
        source: `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`,
        text: toYaml(o),
        format: "yaml",
        fromCluster: true,
      }),
    );
}

export function buildReport(
  documents: readonly InputDocument[],
  mode: RewriteMode,
  mesh?: { inventory: Inventory; namespaces: readonly string[]; rootNamespace?: string },
): ObservabilityReport {
  const rewritten = documents.map((d) => rewriteDocument(d, mode));
  const generated = mesh ? generateMonitors(mesh.inventory, mesh.namespaces) : { monitors: [], notes: [] };
  return {
    mode,
    documents: rewritten,
    monitors: mesh ? monitorFindings(mesh.inventory) : [],
    generatedMonitors: generated.monitors,
    monitorNotes: generated.notes,
    spanRules: rewritten.flatMap((d) =>
      d.expressions
        .filter((e) => e.place === "rule" && isSpanMetricExpression(e.original))
        .map((e) => ({ source: e.source, location: e.location })),
    ),
    namespaces: mesh
      ? mesh.namespaces.map((ns) => observabilityChangesFor(mesh.inventory, ns, mesh.rootNamespace))
      : [],
  };
}

export function reportDiff(report: ObservabilityReport): string {
  return report.documents
    .filter((d) => d.changed)
    .map((d) => unifiedDiff(d.original, d.text, `a/${d.source}`, `b/${d.source}`))
    .join("");
}

export function monitorsYaml(monitors: readonly KubeObject[]): string {
  return monitors.map((m) => toYaml(m)).join("---\n");
}
