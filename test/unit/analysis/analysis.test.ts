import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checksAt, checksFor } from "../../../src/analysis/checks.js";
import { ConditionError, compileCondition } from "../../../src/analysis/condition.js";
import {
  analysisVerdict,
  type Baselines,
  type Clock,
  captureBaselines,
  judge,
  type Query,
  runAnalysis,
  runCheck,
  type Sample,
} from "../../../src/analysis/judge.js";
import { analysisFrom, defaultSloAnalysis } from "../../../src/analysis/load.js";
import type { Check } from "../../../src/analysis/model.js";
import { ANALYSIS_SCHEMA } from "../../../src/analysis/schema.js";
import { fillTemplate, templateVariables } from "../../../src/analysis/template.js";
import { AmbientMigrateError, ExitCode } from "../../../src/errors.js";

const HEAD = {
  apiVersion: "ambient-migrate.io/v1alpha1",
  kind: "Analysis",
  prometheus: { address: "http://p:9090" },
};

function check(over: Partial<Check>): Check {
  return {
    key: "m",
    name: "m",
    query: "q",
    intervalMs: 1000,
    count: 3,
    initialDelayMs: 0,
    failureLimit: 0,
    inconclusiveLimit: 0,
    baseline: false,
    ...over,
  };
}

const one = (value: number): Sample[] => [{ labels: {}, value }];

/** A clock that records the waits instead of waiting. */
function fakeClock(): Clock & { waited: number[] } {
  let t = Date.parse("2026-01-01T00:00:00Z");
  const waited: number[] = [];
  return {
    waited,
    now: () => new Date(t),
    sleep: async (ms) => {
      waited.push(ms);
      t += ms;
    },
  };
}

/** Answers the queries in order from a script: values, [] for no data, or an Error. */
function scripted(answers: (number | Sample[] | Error)[]): Query & { asked: string[] } {
  const asked: string[] = [];
  const q = async (expr: string) => {
    asked.push(expr);
    const a = answers.shift();
    if (a === undefined) throw new Error("script exhausted");
    if (a instanceof Error) throw a;
    return typeof a === "number" ? one(a) : a;
  };
  return Object.assign(q, { asked });
}

const ctx = (query: Query, clock = fakeClock()) => ({
  query,
  clock,
  signal: new AbortController().signal,
  progress: () => undefined,
});

describe("conditions", () => {
  it("compares result, with && || ! and arithmetic; result[0] is Argo's spelling", () => {
    expect(compileCondition("result >= 0.95")(0.96)).toBe(true);
    expect(compileCondition("result >= 0.95")(0.9)).toBe(false);
    expect(compileCondition("result[0] < 500 && result > 0")(100)).toBe(true);
    expect(compileCondition("result < 1 || result > 10")(5)).toBe(false);
    expect(compileCondition("!(result == 3)")(3)).toBe(false);
    expect(compileCondition("result * 100 <= 5")(0.04)).toBe(true);
    expect(compileCondition("isNaN(result)")(Number.NaN)).toBe(true);
    expect(compileCondition("abs(result - 1) < 0.1")(1.05)).toBe(true);
  });

  it("rejects names, functions and syntax outside the language", () => {
    expect(() => compileCondition("value > 1")).toThrow(ConditionError);
    expect(() => compileCondition("process.exit(1)")).toThrow(/unknown function|not supported|indexed/);
    expect(() => compileCondition("result >")).toThrow(ConditionError);
    expect(() => compileCondition('result == "a"')).toThrow(/only numbers/);
    expect(() => compileCondition("result[1] > 0")).toThrow(/result\[0\]/);
  });
});

describe("templating", () => {
  it("fills namespace, service and step, leaving the ones not given", () => {
    const q = 'x{ns="{{namespace}}",svc="{{ service }}",step="{{step}}"}';
    expect([...templateVariables(q)].sort()).toEqual(["namespace", "service", "step"]);
    expect(fillTemplate(q, { namespace: "shop", service: "web" })).toBe(
      'x{ns="shop",svc="web",step="{{step}}"}',
    );
    expect(fillTemplate(q, { namespace: "a", service: "b", step: 4 })).toBe('x{ns="a",svc="b",step="4"}');
  });

  it("rejects an unknown variable", () => {
    expect(() => templateVariables("x{a='{{args.service-name}}'}")).toThrow(/unknown template variable/);
  });

  it("expands a metric per Service only when the query names {{service}}", () => {
    const analysis = analysisFrom(
      {
        ...HEAD,
        metrics: [
          { name: "per-svc", query: 'a{s="{{service}}",n="{{namespace}}"}', successCondition: "result > 0" },
          { name: "whole", query: 'b{n="{{namespace}}",k="{{step}}"}', successCondition: "result > 0" },
        ],
      },
      "t",
    );
    const checks = checksFor(analysis, "shop", [
      { name: "web", waypoint: true },
      { name: "db", waypoint: false },
    ]);
    expect(checks.map((c) => [c.key, c.query])).toEqual([
      ["per-svc/web", 'a{s="web",n="shop"}'],
      ["per-svc/db", 'a{s="db",n="shop"}'],
      ["whole", 'b{n="shop",k="{{step}}"}'],
    ]);
  });
});

describe("judging one measurement", () => {
  const t = new Date(0);
  it("success and failure conditions, Argo's semantics", () => {
    const success = check({ successCondition: "result >= 0.95" });
    expect(judge(success, one(0.99), undefined, t).phase).toBe("success");
    expect(judge(success, one(0.5), undefined, t)).toMatchObject({
      phase: "failure",
      detail: "0.5 vs result >= 0.95",
    });
    const failure = check({ failureCondition: "result > 100" });
    expect(judge(failure, one(50), undefined, t).phase).toBe("success");
    expect(judge(failure, one(150), undefined, t).phase).toBe("failure");
    const both = check({ successCondition: "result < 10", failureCondition: "result > 100" });
    expect(judge(both, one(50), undefined, t).phase).toBe("inconclusive");
  });

  it("no data, NaN and a query error are inconclusive, never success", () => {
    const c = check({ successCondition: "result >= 0" });
    expect(judge(c, [], undefined, t)).toMatchObject({
      phase: "inconclusive",
      detail: expect.stringMatching(/no data/),
    });
    expect(judge(c, one(Number.NaN), undefined, t).phase).toBe("inconclusive");
    expect(judge(c, new Error("connection refused"), undefined, t)).toMatchObject({
      phase: "inconclusive",
      detail: "query error: connection refused",
    });
  });

  it("+Inf and -Inf are values (a p99 beyond the last bucket fails); NaN is inconclusive even where a condition would accept it", () => {
    const latency = check({ successCondition: "result <= 500" });
    expect(judge(latency, one(Number.POSITIVE_INFINITY), undefined, t)).toMatchObject({
      phase: "failure",
      detail: "+Inf vs result <= 500",
    });
    expect(judge(latency, one(Number.NEGATIVE_INFINITY), undefined, t).phase).toBe("success");
    const rel = check({ thresholdRange: { max: 2, relative: true }, baseline: true });
    expect(judge(rel, one(Number.POSITIVE_INFINITY), 10, t).phase).toBe("failure");
    expect(judge(rel, one(20), Number.POSITIVE_INFINITY, t)).toMatchObject({
      phase: "inconclusive",
      detail: "no baseline to compare with",
    });
    const lenient = check({ successCondition: "isNaN(result) || result >= 0" });
    expect(judge(lenient, one(Number.NaN), undefined, t)).toMatchObject({
      phase: "inconclusive",
      detail: "NaN (no traffic in the window?)",
    });
    const failOnly = check({ failureCondition: "result > 100" });
    expect(judge(failOnly, one(Number.NaN), undefined, t).phase).toBe("inconclusive");
    // With several series, a NaN one keeps the measurement from passing.
    expect(
      judge(
        check({ successCondition: "result > 0.9" }),
        [
          { labels: { pod: "a" }, value: 0.99 },
          { labels: { pod: "b" }, value: Number.NaN },
        ],
        undefined,
        t,
      ).phase,
    ).toBe("inconclusive");
  });

  it("a check whose every measurement is NaN is inconclusive, within the limit too", async () => {
    const c = check({ successCondition: "result >= 0.95", count: 2, inconclusiveLimit: 5 });
    const r = await runCheck(c, 4, undefined, ctx(scripted([Number.NaN, Number.NaN]), fakeClock()));
    expect(r.phase).toBe("inconclusive");
    expect(r.detail).toMatch(/^no successful measurement \(NaN/);
  });

  it("thresholdRange: absolute, and relative to the baseline", () => {
    const abs = check({ thresholdRange: { min: 0.9, max: 1, relative: false } });
    expect(judge(abs, one(0.95), undefined, t).phase).toBe("success");
    expect(judge(abs, one(0.8), undefined, t)).toMatchObject({
      phase: "failure",
      detail: "0.8 vs result >= 0.9 and <= 1",
    });
    const rel = check({ thresholdRange: { max: 2, relative: true }, baseline: true });
    expect(judge(rel, one(19), 10, t).phase).toBe("success");
    expect(judge(rel, one(25), 10, t)).toMatchObject({
      phase: "failure",
      detail: "25 vs result <= 2 x baseline 10 = 20",
    });
    expect(judge(rel, one(5), null, t)).toMatchObject({
      phase: "inconclusive",
      detail: "no baseline to compare with",
    });
  });

  it("several series: any failing one fails the measurement", () => {
    const c = check({ successCondition: "result > 0.9" });
    const answer = [
      { labels: { pod: "a" }, value: 0.99 },
      { labels: { pod: "b" }, value: 0.5 },
    ];
    expect(judge(c, answer, undefined, t)).toMatchObject({ phase: "failure", value: 0.5 });
  });
});

describe("limits, count, interval and initialDelay", () => {
  it("takes count measurements interval apart after initialDelay", async () => {
    const clock = fakeClock();
    const q = scripted([0.99, 0.98, 0.97]);
    const c = check({ successCondition: "result > 0.9", count: 3, intervalMs: 5000, initialDelayMs: 2000 });
    const r = await runCheck(c, 4, undefined, ctx(q, clock));
    expect(r.phase).toBe("success");
    expect(r.measurements).toHaveLength(3);
    expect(clock.waited).toEqual([2000, 5000, 5000]);
  });

  it("fails as soon as failures exceed failureLimit", async () => {
    const c = check({ successCondition: "result > 0.9", count: 5, failureLimit: 1 });
    const q = scripted([0.5, 0.99, 0.4, 0.99, 0.99]);
    const r = await runCheck(c, 4, undefined, ctx(q));
    expect(r).toMatchObject({ phase: "failure", detail: "0.4 vs result > 0.9" });
    expect(r.measurements).toHaveLength(3);
  });

  it("tolerates failures up to failureLimit", async () => {
    const c = check({ successCondition: "result > 0.9", count: 3, failureLimit: 1 });
    expect((await runCheck(c, 1, undefined, ctx(scripted([0.5, 0.99, 0.99])))).phase).toBe("success");
  });

  it("is inconclusive when inconclusive measurements exceed inconclusiveLimit", async () => {
    const c = check({ successCondition: "result > 0.9", count: 4, inconclusiveLimit: 1 });
    const r = await runCheck(c, 2, undefined, ctx(scripted([[], 0.99, new Error("timeout"), 0.99])));
    expect(r.phase).toBe("inconclusive");
    expect(r.detail).toBe("query error: timeout");
    expect(r.measurements).toHaveLength(3);
  });

  it("with no data at all, never passes, even when the limit tolerates every inconclusive one", async () => {
    const c = check({ successCondition: "result > 0.9", count: 3, inconclusiveLimit: 5 });
    const r = await runCheck(c, 2, undefined, ctx(scripted([[], [], []])));
    expect(r.phase).toBe("inconclusive");
    expect(r.detail).toMatch(/no successful measurement/);
  });

  it("fills {{step}} when it runs", async () => {
    const q = scripted([1]);
    await runCheck(
      check({ query: 'x{s="{{step}}"}', successCondition: "result > 0", count: 1 }),
      5,
      undefined,
      ctx(q),
    );
    expect(q.asked).toEqual(['x{s="5"}']);
  });

  it("an analysis fails if one check fails, is inconclusive if one is, and says which", async () => {
    const checks = [
      check({ key: "a", query: "a", successCondition: "result > 0.9", count: 1 }),
      check({ key: "b", query: "b", successCondition: "result > 0.9", count: 1 }),
    ];
    const byQuery =
      (values: Record<string, Sample[]>): Query =>
      async (e) =>
        values[e] ?? [];
    const failed = await runAnalysis(checks, 4, {}, ctx(byQuery({ a: one(0.99), b: one(0.52) })));
    expect(failed.phase).toBe("failure");
    expect(analysisVerdict(failed, "at step 4")).toBe("failed at step 4: analysis b 0.52 vs result > 0.9");
    const unsure = await runAnalysis(checks, 4, {}, ctx(byQuery({ a: one(0.99) })));
    expect(unsure.phase).toBe("inconclusive");
    expect(analysisVerdict(unsure, "at step 4")).toMatch(/^inconclusive at step 4: analysis b no data/);
    expect((await runAnalysis(checks, 4, {}, ctx(byQuery({ a: one(1), b: one(1) })))).phase).toBe("success");
    expect((await runAnalysis([], 4, {}, ctx(byQuery({})))).phase).toBe("inconclusive");
  });
});

describe("baselines", () => {
  it("captures one value per baseline check, with {{step}} = 0, and says why one is missing", async () => {
    const checks = [
      check({ key: "lat/web", query: 'lat{svc="web",s="{{step}}"}', baseline: true }),
      check({ key: "lat/db", query: 'lat{svc="db"}', baseline: true }),
      check({ key: "ok", query: "ok", baseline: false }),
    ];
    const answers: Record<string, Sample[]> = { 'lat{svc="web",s="0"}': one(12.5), 'lat{svc="db"}': [] };
    const asked: string[] = [];
    const { baselines, problems } = await captureBaselines(checks, async (e) => {
      asked.push(e);
      return answers[e] ?? [];
    });
    expect(baselines).toEqual({ "lat/web": 12.5, "lat/db": null });
    expect(problems).toEqual(["lat/db: no data"]);
    expect(asked).not.toContain("ok");
  });

  it("a p99 of +Inf or NaN before the migration is no baseline", async () => {
    const checks = [
      check({ key: "p99/web", query: "p99-web", baseline: true }),
      check({ key: "p99/db", query: "p99-db", baseline: true }),
    ];
    const answers: Record<string, Sample[]> = {
      "p99-web": one(Number.POSITIVE_INFINITY),
      "p99-db": one(Number.NaN),
    };
    const { baselines, problems } = await captureBaselines(checks, async (e) => answers[e] ?? []);
    expect(baselines).toEqual({ "p99/web": null, "p99/db": null });
    expect(problems.sort()).toEqual(["p99/db: value NaN", "p99/web: value +Inf"]);
  });

  it("judges later measurements against the journalled baseline", async () => {
    const c = check({ key: "lat", thresholdRange: { max: 1.5, relative: true }, baseline: true, count: 1 });
    const baselines: Baselines = { lat: 100 };
    const r = await runAnalysis([c], 4, baselines, ctx(scripted([180])));
    expect(analysisVerdict(r, "at step 4")).toBe(
      "failed at step 4: analysis lat 180 vs result <= 1.5 x baseline 100 = 150",
    );
  });
});

describe("the analysis file", () => {
  it("fills in the defaults", () => {
    const a = analysisFrom(
      { ...HEAD, metrics: [{ name: "m", query: "q", successCondition: "result > 0" }] },
      "f",
    );
    expect(a.steps).toEqual([1, 2, 4, 5]);
    expect(a.onFailure).toBe("pause");
    expect(a.metrics[0]).toMatchObject({
      intervalMs: 30_000,
      count: 3,
      initialDelayMs: 0,
      failureLimit: 0,
      inconclusiveLimit: 0,
    });
  });

  it("rejects what the schema forbids and what it cannot see, with every problem listed (exit 4)", () => {
    const bad = () =>
      analysisFrom(
        {
          ...HEAD,
          onFailure: "retry",
          metrics: [
            { name: "m", query: "{{args.x}}", successCondition: "value > 1" },
            { name: "r", query: "q", thresholdRange: { max: 2, relative: true } },
            { name: "n", query: "q" },
          ],
        },
        "bad.yaml",
      );
    expect(bad).toThrow(AmbientMigrateError);
    try {
      bad();
    } catch (err) {
      const e = err as AmbientMigrateError;
      expect(e.exitCode).toBe(ExitCode.invalidInput);
      expect(e.details.join("\n")).toMatch(/onFailure/);
    }
    try {
      analysisFrom(
        {
          ...HEAD,
          metrics: [
            { name: "m", query: "{{args.x}}", successCondition: "value > 1" },
            { name: "r", query: "q", thresholdRange: { max: 2, relative: true } },
          ],
        },
        "bad.yaml",
      );
      expect.unreachable();
    } catch (err) {
      const details = (err as AmbientMigrateError).details.join("\n");
      expect(details).toMatch(/unknown template variable \{\{args.x\}\}/);
      expect(details).toMatch(/unknown name "value"/);
      expect(details).toMatch(/relative needs baseline: true/);
    }
  });

  it("docs/analysis.schema.json is the schema the loader uses", () => {
    const doc = JSON.parse(
      readFileSync(new URL("../../../docs/analysis.schema.json", import.meta.url), "utf8"),
    );
    expect(doc).toEqual(JSON.parse(JSON.stringify(ANALYSIS_SCHEMA)));
  });
});

describe("the default SLO (--slo default)", () => {
  const services = [
    { name: "productpage", waypoint: true },
    { name: "ratings", waypoint: false },
  ];
  const checks = checksFor(defaultSloAnalysis("http://p:9090"), "bookinfo", services);

  it("matches sidecar and waypoint reporters in every L7 query, and never hard-codes one", () => {
    for (const c of checks.filter((c) => c.query.includes("istio_request"))) {
      expect(c.query).toContain('reporter=~"destination|waypoint"');
      expect(c.query).not.toMatch(/reporter="(source|destination|waypoint)"/);
    }
  });

  it("judges a Service behind a waypoint on L7 at every step", () => {
    const at4 = checksAt(checks, 4).map((c) => c.key);
    expect(at4).toContain("success-rate/productpage");
    expect(at4).toContain("p99-latency/productpage");
  });

  it("judges a Service without a waypoint on L7 while it has sidecars, then on TCP only, and says so", () => {
    expect(checksAt(checks, 1).map((c) => c.key)).toEqual([
      "success-rate/productpage",
      "p99-latency/productpage",
      "success-rate/ratings",
      "p99-latency/ratings",
    ]);
    expect(
      checksAt(checks, 4)
        .filter((c) => c.service === "ratings")
        .map((c) => c.key),
    ).toEqual(["tcp-failures/ratings"]);
    const tcp = checks.find((c) => c.key === "tcp-failures/ratings");
    expect(tcp?.query).toMatch(/istio_tcp_connections_closed_total/);
    expect(tcp?.note).toMatch(/TCP series are the only telemetry/);
  });

  it("a p99 baseline is taken before step 1 for every Service (step 0)", () => {
    expect(
      checksAt(checks, 0)
        .filter((c) => c.baseline)
        .map((c) => c.key),
    ).toEqual(["p99-latency/productpage", "p99-latency/ratings"]);
  });
});
