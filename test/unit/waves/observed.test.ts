import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrometheusClient } from "../../../src/prometheus/client.js";
import { observedEdges } from "../../../src/waves/observed.js";
import { recordedTraffic } from "../../prometheus/recorded-traffic.js";
import { type RunningPrometheus, startPrometheus } from "../../prometheus/server.js";

const now = Math.floor(Date.now() / 1000);
let prom: RunningPrometheus;
beforeAll(async () => {
  prom = await startPrometheus(
    recordedTraffic(
      [
        { from: "web", to: "api", requestsPerMinute: 10 },
        { from: "api", to: "db", connectionsPerMinute: 2 },
      ],
      now,
    ),
  );
}, 60_000);
afterAll(async () => prom?.stop());

describe("observed traffic from a real Prometheus", () => {
  it("gives one edge per calling namespace pair, each call counted once, without unknown or in-namespace calls", async () => {
    const edges = await observedEdges(new PrometheusClient(prom.url), "7d");
    expect(edges.map((e) => [e.from, e.to])).toEqual([
      ["api", "db"],
      ["web", "api"],
    ]);
    // 120 minutes at 10/min, reported by both ends: 1200, not 2400 (increase() extrapolates a little).
    const requests = Number(/^(\d+) requests in 7d$/.exec(edges[1]?.what[0] ?? "")?.[1]);
    expect(requests).toBeGreaterThanOrEqual(1190);
    expect(requests).toBeLessThanOrEqual(1300);
    expect(edges[0]?.what).toEqual([
      expect.stringMatching(/^2\d\d TCP connections in 7d$/),
      expect.stringMatching(/^2\d\d\d\d\d bytes sent over TCP in 7d$/),
    ]);
  });

  it("sees nothing in a window that ends before the traffic", async () => {
    const edges = await observedEdges(
      new PrometheusClient(prom.url),
      "1h",
      new Date((now - 3 * 3600) * 1000),
    );
    expect(edges).toEqual([]);
  });
});
