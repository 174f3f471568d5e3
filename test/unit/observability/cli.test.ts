import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { run as runCli } from "../../../src/cli/main.js";
import { rewriteDashboardText } from "../../../src/observability/dashboard.js";

const DASHBOARDS = new URL("../../../../shared/fixtures/istio-upstream/dashboards/", import.meta.url)
  .pathname;
const RULES = new URL("fixtures/istio-alerts.rules", import.meta.url).pathname;
const MESH = ["monitoring.yaml.fixture", "shop.yaml.fixture"].map(
  (f) => new URL(`fixtures/mesh/${f}`, import.meta.url).pathname,
);

let stdout = "";
let stderr = "";
const io = {
  out: { write: (text: string) => (stdout += text) },
  err: { write: (text: string) => (stderr += text) },
};
const run = (args: string[]) => runCli(args, io);
beforeEach(() => {
  stdout = "";
  stderr = "";
});
afterEach(() => {
  process.exitCode = undefined;
});

test("--dashboards alone: a report table, no mesh needed", async () => {
  expect(await run(["observability", "--dashboards", DASHBOARDS])).toBe(0);
  expect(stderr).toMatch(
    /mode during: 250 expression\(s\) in 7 document\(s\): 141 rewritten, 109 unchanged, 0 flagged/,
  );
  expect(stdout).toMatch(/^SOURCE\s+LOCATION\s+STATUS\s+WHY \/ NOTE/);
  expect(stdout).toMatch(/istio-service-dashboard\.json\s+variable qrep options\s+rewritten/);
});

test("--diff prints a unified diff", async () => {
  expect(await run(["observability", "--rules", RULES, "--mode", "after", "--diff"])).toBe(0);
  expect(stdout).toMatch(/^--- a\/.*istio-alerts\.rules\n\+\+\+ b\//);
  expect(stdout).toContain('+            rate(istio_requests_total{reporter="waypoint"}[5m])');
});

test("-f with monitors and workloads, -o json, --output-dir", async () => {
  const out = mkdtempSync(join(tmpdir(), "observability-cli-"));
  expect(
    await run([
      "observability",
      ...MESH.flatMap((m) => ["-f", m]),
      "--rules",
      RULES,
      "-o",
      "json",
      "--output-dir",
      out,
    ]),
  ).toBe(0);
  const report = JSON.parse(stdout);
  expect(report.mode).toBe("during");
  expect(report.documents.map((d: { changed: boolean }) => d.changed)).toEqual([true]);
  expect(
    report.monitors.find((m: { monitor: string }) => m.monitor.endsWith("envoy-stats-monitor")).reasons,
  ).toHaveLength(2);
  expect(report.namespaces.map((n: { namespace: string }) => n.namespace)).toEqual(["istio-system", "shop"]);
  expect(report.spanRules).toEqual([
    { source: RULES, location: 'group "tracing.slo" record slo:span_error_ratio:rate5m' },
  ]);
  expect(readdirSync(out).sort()).toEqual(["istio-alerts.rules", "podmonitors.generated.yaml"]);
  const monitors = parseAllDocuments(readFileSync(join(out, "podmonitors.generated.yaml"), "utf8")).map((d) =>
    d.toJS(),
  );
  expect(monitors.map((m) => m.metadata.name)).toEqual([
    "ztunnel",
    "waypoints",
    "orders-metrics",
    "payments-metrics",
    "legacy-metrics",
  ]);
  expect(parse(readFileSync(join(out, "istio-alerts.rules"), "utf8")).groups).toHaveLength(3);
});

test("the table for a namespace says what changes", async () => {
  expect(await run(["observability", ...MESH.flatMap((m) => ["-f", m]), "-n", "shop"])).toBe(0);
  expect(stdout).toMatch(/PodMonitor\/istio-system\/envoy-stats-monitor\s+all namespaces\s+stops working/);
  expect(stdout).toMatch(/Namespace shop:/);
  expect(stdout).toMatch(/STRICT mTLS/);
  expect(stdout).toMatch(
    /Deployment\/orders: its metrics \(port 9100, \/metrics\) were merged by the sidecar/,
  );
});

test("-f with a dashboard ConfigMap rewrites the file it came from", async () => {
  const dir = mkdtempSync(join(tmpdir(), "observability-cm-"));
  const dashboard = readFileSync(join(DASHBOARDS, "istio-workload-dashboard.json"), "utf8");
  const file = join(dir, "dashboards.yaml");
  writeFileSync(
    file,
    `# kept as is\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-dashboards\n  namespace: monitoring\n  labels:\n    grafana_dashboard: "1"\ndata:\n  workload.json: |\n${dashboard
      .split("\n")
      .map((l) => (l ? `    ${l}` : l))
      .join("\n")}`,
  );
  const out = join(dir, "out");
  expect(await run(["observability", "-f", file, "--mode", "after", "--output-dir", out])).toBe(0);
  const rewritten = readFileSync(join(out, "dashboards.yaml"), "utf8");
  expect(rewritten.startsWith("# kept as is\n")).toBe(true);
  expect(parse(rewritten).data["workload.json"]).toBe(rewriteDashboardText(dashboard, "after", "x").text);
  expect(stdout).toMatch(/ConfigMap monitoring\/istio-dashboards workload\.json/);
});

test("--apply changes the cluster's own objects: with files it is a usage error (exit 2)", async () => {
  expect(await run(["observability", "--apply", "--yes", "-f", MESH[0] as string]), stderr).toBe(2);
  expect(stderr).toContain("--apply rewrites the cluster's own objects; it reads no files");
  expect(await run(["observability", "--dry-run=client", "--dashboards", DASHBOARDS])).toBe(2);
});
