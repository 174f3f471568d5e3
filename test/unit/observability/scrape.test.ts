import { describe, expect, test } from "vitest";
import { readManifests } from "../../../src/inventory/from-files.js";
import { observabilityChangesFor } from "../../../src/observability/changes.js";
import {
  appScrapeTargets,
  generateMonitors,
  monitorFindings,
  sharedMonitorLabels,
} from "../../../src/observability/scrape.js";
import { isSpanMetricExpression } from "../../../src/observability/tracing.js";
import { toYaml } from "../../../src/serialize.js";

// Fixtures without a .yaml extension so that formatters keep them as written.
const MESH = ["monitoring.yaml.fixture", "shop.yaml.fixture"].map(
  (f) => new URL(`fixtures/mesh/${f}`, import.meta.url).pathname,
);
const { inventory } = readManifests(MESH);

describe("monitors that relied on the sidecar", () => {
  test("Istio's sample envoy-stats-monitor is found, its component monitor is not", () => {
    const findings = monitorFindings(inventory);
    expect(findings.find((f) => f.monitor === "PodMonitor/istio-system/envoy-stats-monitor")).toEqual({
      monitor: "PodMonitor/istio-system/envoy-stats-monitor",
      namespace: "istio-system",
      reasons: [
        "scrapes /stats/prometheus (merged app + sidecar metrics)",
        "keeps only the istio-proxy container",
      ],
      covers: "*",
    });
    expect(
      findings.find((f) => f.monitor === "ServiceMonitor/istio-system/istio-component-monitor")?.reasons,
    ).toEqual([]);
  });

  test("labels shared by the existing monitors are the ones Prometheus selects by", () => {
    expect(sharedMonitorLabels(inventory)).toEqual({ release: "istio" });
  });
});

describe("apps' own metrics", () => {
  test("from annotations and from the sidecar's ISTIO_PROMETHEUS_ANNOTATIONS", () => {
    expect(
      appScrapeTargets(inventory, "shop").map((t) => [
        t.workload,
        t.port,
        t.path,
        t.from,
        t.containerPortName,
        t.mergedBySidecar,
      ]),
    ).toEqual([
      ["Deployment/orders", "9100", "/metrics", "annotations", "http-metrics", true],
      ["Deployment/payments", "8081", "/q/metrics", "annotations", undefined, true],
      ["Pod/legacy", "7070", "/prom", "ISTIO_PROMETHEUS_ANNOTATIONS", "metrics", true],
    ]);
  });
});

test("generated PodMonitors (golden)", async () => {
  const generated = generateMonitors(inventory, ["shop"]);
  const byName = Object.fromEntries(generated.monitors.map((m) => [m.metadata.name, m]));
  expect(byName.ztunnel?.spec).toEqual({
    selector: { matchLabels: { app: "ztunnel" } },
    namespaceSelector: { matchNames: ["istio-system"] },
    podMetricsEndpoints: [{ port: "ztunnel-stats", path: "/metrics" }],
  });
  expect(byName.waypoints?.spec.selector.matchLabels).toEqual({
    "gateway.istio.io/managed": "istio.io-mesh-controller",
  });
  expect(byName["orders-metrics"]?.spec.podMetricsEndpoints).toEqual([
    { port: "http-metrics", path: "/metrics" },
  ]);
  expect(byName["payments-metrics"]?.spec.podMetricsEndpoints).toEqual([
    { portNumber: 8081, path: "/q/metrics" },
  ]);
  for (const m of generated.monitors) expect(m.metadata.labels?.release).toBe("istio");
  expect(generated.notes.join("\n")).toMatch(/payments: container port 8081 has no name/);
  await expect(generated.monitors.map((m) => toYaml(m)).join("---\n")).toMatchFileSnapshot(
    "golden/shop-podmonitors.yaml.golden",
  );
});

test("no ztunnel monitor when one already selects app=ztunnel", () => {
  const { inventory: withZtunnel } = readManifests(MESH);
  withZtunnel.add({
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: { name: "zt", namespace: "istio-system" },
    spec: { selector: { matchLabels: { app: "ztunnel" } }, podMetricsEndpoints: [{ port: "ztunnel-stats" }] },
  });
  expect(generateMonitors(withZtunnel, []).monitors.map((m) => m.metadata.name)).toEqual(["waypoints"]);
});

describe("per-namespace changes", () => {
  const changes = observabilityChangesFor(inventory, "shop");
  test("monitors, STRICT mTLS, metrics", () => {
    expect(changes.brokenMonitors.map((m) => m.monitor)).toEqual([
      "PodMonitor/istio-system/envoy-stats-monitor",
    ]);
    expect(changes.strictMtls).toBe(true);
    expect(changes.metrics.join("\n")).toMatch(/L7 panels of services without a waypoint go empty: payments/);
  });
  test("tracing", () => {
    expect(changes.tracing.waypointOf).toEqual({ orders: "shop/waypoint", payments: undefined });
    const text = changes.tracing.lines.join("\n");
    expect(text).toMatch(/through a waypoint \(orders\): one span per request/);
    expect(text).toMatch(/without a waypoint \(payments\): no spans from the mesh/);
    expect(text).toMatch(/Telemetry\/shop\/tracing configures tracing/);
  });
  test("span metrics are recognised", () => {
    expect(isSpanMetricExpression("sum(rate(traces_spanmetrics_calls_total[5m]))")).toBe(true);
    expect(isSpanMetricExpression("sum(rate(istio_requests_total[5m]))")).toBe(false);
  });
});
