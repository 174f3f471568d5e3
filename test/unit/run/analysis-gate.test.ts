// The SLO gate in the executor, on the fake cluster with a scripted Prometheus: the baseline is
// journalled before step 1, an analysis runs after each gated step, a failure pauses (exit 9,
// resumable) or rolls back, and no data stops the run without passing.

import { describe, expect, it } from "vitest";
import { AnalysisGate } from "../../../src/analysis/gate.js";
import type { Clock, Query } from "../../../src/analysis/judge.js";
import { analysisFrom } from "../../../src/analysis/load.js";
import type { OnFailure } from "../../../src/analysis/model.js";
import { ExitCode } from "../../../src/errors.js";
import { migrateGated } from "../../../src/run/gated.js";
import { readJournal } from "../../../src/run/journal.js";
import { failure, options, planFor } from "./helpers.js";
import { NS, SimCluster } from "./sim.js";

const REV = { "istio.io/rev": "1-27" };
const instant: Clock = { now: () => new Date(), sleep: async () => undefined };

/** Prometheus as a script: error ratio per step (a spike at some steps), latency 10 ms. */
function prometheus(spikeAt: Set<number>, noData = false): Query & { asked: string[] } {
  const asked: string[] = [];
  const q: Query = async (expr) => {
    asked.push(expr);
    if (noData) return [];
    const step = Number(/step="(\d+)"/.exec(expr)?.[1] ?? -1);
    if (expr.startsWith("errors")) return [{ labels: {}, value: spikeAt.has(step) ? 0.5 : 0.01 }];
    return [{ labels: {}, value: 10 }];
  };
  return Object.assign(q, { asked });
}

const SERVICES = [
  { name: "db", waypoint: false },
  { name: "web", waypoint: false },
];

function gate(_sim: SimCluster, query: Query, onFailure: OnFailure = "pause", services = SERVICES) {
  const analysis = analysisFrom(
    {
      apiVersion: "ambient-migrate.io/v1alpha1",
      kind: "Analysis",
      prometheus: { address: "http://prometheus:9090" },
      onFailure,
      measurement: { interval: "1s", count: 2 },
      metrics: [
        {
          name: "errors",
          query: 'errors{ns="{{namespace}}",svc="{{service}}",step="{{step}}"}',
          successCondition: "result < 0.1",
        },
        {
          name: "latency",
          query: 'latency{ns="{{namespace}}",step="{{step}}"}',
          thresholdRange: { max: 2, relative: true },
          baseline: true,
        },
      ],
    },
    "test.yaml",
  );
  return new AnalysisGate(analysis, NS, services, query, () => undefined, instant);
}

describe("migrate with an analysis", () => {
  it("healthy: journals the baseline before step 1 and passes every analysis after steps 1, 2, 4 and 5", async () => {
    const sim = new SimCluster(REV);
    const q = prometheus(new Set());
    const result = await migrateGated(sim, await planFor(sim), options({ analysis: gate(sim, q) }));
    expect(result).toBe("migrated");
    const journal = await readJournal(sim, NS);
    expect(journal?.analysis?.baselines).toEqual({ latency: 10 });
    expect(journal?.analysis?.results.map((r) => [r.step, r.phase])).toEqual([
      [1, "success"],
      [2, "success"],
      [4, "success"],
      [5, "success"],
    ]);
    // The baseline is taken with {{step}} = 0, before any change.
    expect(q.asked[0]).toBe('latency{ns="shop",step="0"}');
  });

  it("pause: an error spike after step 4 stops with exit 9 and says why; a later migrate resumes once it clears", async () => {
    const sim = new SimCluster(REV);
    const spike = new Set([4]);
    const err = await failure(
      migrateGated(sim, await planFor(sim), options({ analysis: gate(sim, prometheus(spike)) })),
    );
    expect(err.exitCode).toBe(ExitCode.verificationFailed);
    expect(err.message).toBe("failed at step 4: analysis errors/db 0.5 vs result < 0.1");
    let journal = await readJournal(sim, NS);
    expect(journal?.status).toBe("failed");
    expect(journal?.failure).toBe("failed at step 4: analysis errors/db 0.5 vs result < 0.1");
    expect(journal?.completedSteps).toEqual([1, 2, 3]);
    expect(journal?.analysis?.results.at(-1)?.checks.find((c) => c.key === "errors/db")?.phase).toBe(
      "failure",
    );

    spike.clear();
    // The resumed run sees a Service step 1 added (a translated subset): it judges the first run's Services.
    const later = gate(sim, prometheus(spike), "pause", [...SERVICES, { name: "web-v1", waypoint: false }]);
    const resumed = await migrateGated(sim, await planFor(sim), options({ analysis: later }));
    expect(resumed).toBe("migrated");
    expect(later.checks.map((c) => c.key)).not.toContain("errors/web-v1");
    journal = await readJournal(sim, NS);
    expect(journal?.status).toBe("done");
    // The baseline of the first run is kept.
    expect(journal?.analysis?.baselines).toEqual({ latency: 10 });
    expect(journal?.analysis?.results.map((r) => `${r.step}:${r.phase}`)).toEqual([
      "1:success",
      "2:success",
      "4:failure",
      "4:success",
      "5:success",
    ]);
  });

  it("rollback: an error spike after step 4 rolls the namespace back to sidecars, runs the analysis again, exit 9", async () => {
    const sim = new SimCluster(REV);
    const before = { ...sim.nsLabels() };
    const err = await failure(
      migrateGated(
        sim,
        await planFor(sim),
        options({ analysis: gate(sim, prometheus(new Set([4])), "rollback") }),
      ),
    );
    expect(err.exitCode).toBe(ExitCode.verificationFailed);
    expect(err.message).toMatch(
      /^shop: failed at step 4: analysis errors\/db 0.5 vs result < 0.1; rolled back automatically to the state before the migration; analysis after the rollback: passed$/,
    );
    const journal = await readJournal(sim, NS);
    expect(journal?.status).toBe("rolled-back");
    expect(journal?.changes).toEqual([]);
    expect(journal?.failure).toMatch(
      /^failed at step 4: analysis errors\/db 0.5 vs result < 0.1; rolled back automatically/,
    );
    expect(journal?.analysis?.results.at(-1)).toMatchObject({ step: 0, phase: "success" });
    expect(sim.nsLabels()).toEqual(before);
  });

  it("no data: inconclusive after step 1, never passed, and not rolled back even with onFailure rollback", async () => {
    const sim = new SimCluster(REV);
    const q = prometheus(new Set());
    const g = gate(sim, q, "rollback");
    // The baseline exists; then the series vanish.
    const noData = prometheus(new Set(), true);
    let calls = 0;
    const flaky: Query = (e) => (calls++ === 0 ? q(e) : noData(e));
    Object.assign(g, { query: flaky });
    const err = await failure(migrateGated(sim, await planFor(sim), options({ analysis: g })));
    expect(err.exitCode).toBe(ExitCode.verificationFailed);
    expect(err.message).toMatch(/^inconclusive at step 1: analysis \S+ no data/);
    const journal = await readJournal(sim, NS);
    expect(journal?.status).toBe("failed");
    expect(journal?.completedSteps).toEqual([]);
  });

  it("no baseline: stops before step 1 with nothing changed", async () => {
    const sim = new SimCluster(REV);
    const before = { ...sim.nsLabels() };
    const err = await failure(
      migrateGated(sim, await planFor(sim), options({ analysis: gate(sim, prometheus(new Set(), true)) })),
    );
    expect(err.exitCode).toBe(ExitCode.verificationFailed);
    expect(err.message).toMatch(/no baseline for latency: no data; nothing was changed/);
    expect(sim.nsLabels()).toEqual(before);
    expect(sim.effects.created).toEqual([]);
  });
});
