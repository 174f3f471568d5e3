import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../../src/errors.js";
import { PrometheusClient, parsePromDuration, parseSampleValue } from "../../../src/prometheus/client.js";
import {
  freePort,
  type RecordedSample,
  type RunningPrometheus,
  startPrometheus,
  toOpenMetrics,
} from "../../prometheus/server.js";

// Recorded an hour ago, every minute for 30 minutes: a counter growing by 6/min and a gauge.
const now = Math.floor(Date.now() / 1000);
const start = now - 3600;
const samples = Array.from({ length: 31 }, (_, i): RecordedSample[] => [
  {
    metric: "requests_total",
    labels: { app: "web", code: "200" },
    value: i * 6,
    time: start + i * 60,
  },
  { metric: "queue_depth", labels: { app: "web" }, value: 3, time: start + i * 60 },
]).flat();

let prom: RunningPrometheus;
beforeAll(async () => {
  prom = await startPrometheus(
    toOpenMetrics(
      [
        { name: "requests_total", type: "counter" },
        { name: "queue_depth", type: "gauge" },
      ],
      samples,
    ),
  );
}, 60_000);
afterAll(async () => prom?.stop());

describe("PrometheusClient on a real Prometheus", () => {
  it("runs instant queries at a given time", async () => {
    const client = new PrometheusClient(prom.url);
    const at = new Date((start + 30 * 60) * 1000);
    const [rate] = await client.query('sum by (app) (rate(requests_total{code="200"}[10m]))', at);
    expect(rate?.labels).toEqual({ app: "web" });
    expect(rate?.value).toBeCloseTo(0.1, 5);
    expect(rate?.time).toBe(start + 30 * 60);
    const [scalar] = await client.query("scalar(queue_depth)", at);
    expect(scalar?.value).toBe(3);
  });

  it("reads +Inf, -Inf and NaN, as Prometheus writes them, as numbers", async () => {
    const client = new PrometheusClient(prom.url);
    const at = new Date((start + 30 * 60) * 1000);
    expect((await client.query("+Inf", at))[0]?.value).toBe(Number.POSITIVE_INFINITY);
    expect((await client.query("vector(-Inf)", at))[0]?.value).toBe(Number.NEGATIVE_INFINITY);
    expect((await client.query("NaN", at))[0]?.value).toBeNaN();
    // 0/0: a ratio without traffic; the quantile of a histogram without an observation.
    const [ratio] = await client.query("sum(rate(requests_total[10m])) * 0 / 0", at);
    expect(ratio?.value).toBeNaN();
    const [quantile] = await client.query(
      'histogram_quantile(0.99, label_replace(queue_depth * 0, "le", "+Inf", "", ""))',
      at,
    );
    expect(quantile?.value).toBeNaN();
    // A quantile above 1 is +Inf (Prometheus' documented result for φ > 1).
    const [beyond] = await client.query(
      'histogram_quantile(1.5, label_replace(queue_depth * 1, "le", "+Inf", "", "") or label_replace(queue_depth * 0, "le", "10", "", ""))',
      at,
    );
    expect(beyond?.value).toBe(Number.POSITIVE_INFINITY);
    const [range] = await client.queryRange("vector(+Inf)", at, at, 60);
    expect(range?.points).toEqual([[start + 30 * 60, Number.POSITIVE_INFINITY]]);
  });

  it("runs range queries", async () => {
    const client = new PrometheusClient(`${prom.url}/`);
    const series = await client.queryRange(
      "queue_depth",
      new Date((start + 60) * 1000),
      new Date((start + 300) * 1000),
      120,
    );
    expect(series).toEqual([
      {
        labels: { __name__: "queue_depth", app: "web" },
        points: [
          [start + 60, 3],
          [start + 180, 3],
          [start + 300, 3],
        ],
      },
    ]);
  });

  it("reports a query Prometheus refuses, with the query", async () => {
    const client = new PrometheusClient(prom.url);
    const err = await client.query("sum(rate(requests_total[5m]").catch((e) => e);
    expect(err.exitCode).toBe(ExitCode.prometheusUnavailable);
    expect(err.message).toMatch(/refused the query \(bad_data\)/);
    expect(err.hint).toContain("sum(rate(requests_total[5m]");
  });

  it("reports a server that is not Prometheus, and one that does not answer", async () => {
    const notProm = await new PrometheusClient(`${prom.url}/graph`).query("up").catch((e) => e);
    expect(notProm.exitCode).toBe(ExitCode.prometheusUnavailable);
    expect(notProm.message).toMatch(/without Prometheus' JSON/);
    const closedPort = await freePort();
    const closed = await new PrometheusClient(`http://127.0.0.1:${closedPort}`).query("up").catch((e) => e);
    expect(closed.exitCode).toBe(ExitCode.prometheusUnavailable);
    expect(closed.message).toMatch(/could not be reached: ECONNREFUSED/);
  });

  it("rejects what is not an http(s) URL", () => {
    expect(() => new PrometheusClient("prometheus:9090")).toThrow(/only http and https/);
    expect(() => new PrometheusClient("not a url")).toThrow(/is not a URL/);
  });
});

describe("parseSampleValue", () => {
  it("reads decimals and Go's +Inf, -Inf, NaN; refuses what is no number", () => {
    expect(parseSampleValue("0.25")).toBe(0.25);
    expect(parseSampleValue("1e+06")).toBe(1e6);
    expect(parseSampleValue("+Inf")).toBe(Number.POSITIVE_INFINITY);
    expect(parseSampleValue("-Inf")).toBe(Number.NEGATIVE_INFINITY);
    expect(parseSampleValue("NaN")).toBeNaN();
    expect(() => parseSampleValue("")).toThrow(/not a number: ""/);
    expect(() => parseSampleValue("abc")).toThrow(/not a number/);
  });
});

describe("parsePromDuration", () => {
  it("reads Prometheus durations", () => {
    expect(parsePromDuration("7d")).toBe(7 * 86400);
    expect(parsePromDuration("1h30m")).toBe(5400);
    expect(parsePromDuration("2w")).toBe(14 * 86400);
    expect(() => parsePromDuration("7 days")).toThrow(/not a Prometheus duration/);
    expect(() => parsePromDuration("0s")).toThrow(/longer than 0/);
  });
});
