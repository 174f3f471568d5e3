// The translation report: one entry per field of a source object that was carried over,
// approximated or lost. It is kept apart from the objects produced, like ingress2gateway's
// notifications, so that nothing is ever dropped silently.

import type { KubeObject } from "../inventory/model.js";

type ReportLevel = "info" | "warning" | "error";

interface SourceRef {
  kind: string;
  namespace: string;
  name: string;
}

export interface ReportEntry {
  source: SourceRef;
  /** info: carried over (maybe in another shape); warning: approximated; error: not faithful. */
  level: ReportLevel;
  /** Path of the source field, e.g. `spec.http[0].fault`. */
  field: string;
  message: string;
}

function sourceRef(object: KubeObject): SourceRef {
  return { kind: object.kind, namespace: object.metadata.namespace ?? "", name: object.metadata.name };
}

/** Appends entries about one source object. */
export type Note = (level: ReportLevel, field: string, message: string) => void;

export function noter(report: ReportEntry[], object: KubeObject): Note {
  const source = sourceRef(object);
  if (problemsOnly.has(report))
    return (level, field, message) => {
      if (level !== "info") report.push({ source, level, field, message });
    };
  return (level, field, message) => report.push({ source, level, field, message });
}

/** Reports made by newReport(false): their notes drop info entries. */
const problemsOnly = new WeakSet<ReportEntry[]>();

/**
 * An empty report. Without infos, its notes drop the info entries as they come: a plan shows
 * only warnings and errors, and the info entries of a 37,000-namespace mesh held 100 MB.
 */
export function newReport(infos: boolean): ReportEntry[] {
  const report: ReportEntry[] = [];
  if (!infos) problemsOnly.add(report);
  return report;
}

export function hasErrors(report: readonly ReportEntry[]): boolean {
  return report.some((e) => e.level === "error");
}
