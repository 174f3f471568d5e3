// `observability --verify`: each expected series asked of Prometheus. A row is present only when
// the query returned a sample above 0; no answer is missing, never a pass. A query Prometheus
// refuses or cannot answer stops the command (exit 11): that says nothing about the series.

import type { InstantSample } from "../prometheus/client.js";
import type { NamespaceExpectations, SeriesExpectation } from "./continuity.js";

type SeriesState = "present" | "missing";

interface ContinuityRow extends SeriesExpectation {
  state: SeriesState;
  /** Series the query counted (0 when missing). */
  series: number;
}

export interface ContinuityReport {
  rows: ContinuityRow[];
  /** Per namespace: what was not expected and why. */
  notes: { namespace: string; notes: string[] }[];
  /** Namespaces with nothing to expect (not migrated, or no Service and workload in the mesh). */
  nothingExpected: string[];
}

export type InstantQuery = (expr: string) => Promise<InstantSample[]>;

/** At most this many queries at once: -A on a large cluster must not flood Prometheus. */
const CONCURRENCY = 8;

export async function verifyContinuity(
  namespaces: readonly NamespaceExpectations[],
  query: InstantQuery,
): Promise<ContinuityReport> {
  const expectations = namespaces.flatMap((n) => n.expectations);
  const rows: ContinuityRow[] = new Array(expectations.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < expectations.length; i = next++) {
      const e = expectations[i] as SeriesExpectation;
      const samples = await query(e.query);
      const series = samples.reduce((n, s) => n + (Number.isFinite(s.value) && s.value > 0 ? s.value : 0), 0);
      rows[i] = { ...e, state: series > 0 ? "present" : "missing", series };
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, expectations.length) }, worker));
  return {
    rows,
    notes: namespaces
      .filter((n) => n.notes.length > 0)
      .map((n) => ({ namespace: n.namespace, notes: n.notes })),
    nothingExpected: namespaces.filter((n) => n.expectations.length === 0).map((n) => n.namespace),
  };
}

/** Exit 0 only when something was expected and every expected series is there. */
export function continuityPassed(report: ContinuityReport): boolean {
  return report.rows.length > 0 && report.rows.every((r) => r.state === "present");
}
