import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { rewriteDashboardText } from "../../../src/observability/dashboard.js";
import { unifiedDiff } from "../../../src/observability/diff.js";
import type { RewriteMode } from "../../../src/observability/promql.js";
import { rewriteYamlText } from "../../../src/observability/yaml-documents.js";
import { toYaml } from "../../../src/serialize.js";

const RULES = readFileSync(new URL("fixtures/istio-alerts.rules", import.meta.url), "utf8");
const MODES: RewriteMode[] = ["during", "after"];
const tmp = mkdtempSync(join(tmpdir(), "ambient-migrate-rules-"));

function promtool(): string {
  const found = spawnSync("promtool", ["--version"], { encoding: "utf8" });
  if (found.error) {
    throw new Error(
      "promtool is not installed: the rule-file tests need the real one. Install it with " +
        "`apt-get update && apt-get install -y prometheus` (Debian/Ubuntu, gives /usr/bin/promtool) " +
        "or put Prometheus's promtool on PATH.",
    );
  }
  return "promtool";
}

function checkRules(text: string, name: string): string {
  const file = join(tmp, name);
  writeFileSync(file, text);
  const r = spawnSync(promtool(), ["check", "rules", file], { encoding: "utf8" });
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

const asPrometheusRule = (text: string) =>
  toYaml({
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "istio-alerts", namespace: "monitoring", labels: { release: "kube-prometheus-stack" } },
    spec: parse(text),
  });

test("the fixture itself passes promtool", () => {
  expect(checkRules(RULES, "original.rules.yaml")).toMatch(/SUCCESS: 10 rules found/);
});

describe.each(MODES)("mode %s", (mode) => {
  const result = rewriteYamlText(RULES, mode, "istio-alerts.rules.yaml");

  test("rewritten rule file passes promtool check rules", () => {
    expect(checkRules(result.text, `${mode}.rules.yaml`)).toMatch(/SUCCESS: 10 rules found/);
  });

  test("statuses per rule", () => {
    const byStatus = (s: string) => result.expressions.filter((e) => e.status === s).map((e) => e.location);
    expect(byStatus("rewritten")).toHaveLength(7);
    expect(byStatus("flagged")).toEqual(['group "istio.alerts" alert IstioRequestsNotFromDestination']);
    expect(byStatus("unchanged")).toEqual([
      'group "istio.alerts" alert IstioTCPConnectionFailures',
      'group "tracing.slo" record slo:span_error_ratio:rate5m',
    ]);
  });

  test("comments, quoting styles and everything but the matchers stay (golden diff)", async () => {
    await expect(
      unifiedDiff(RULES, result.text, "a/istio-alerts.rules.yaml", "b/istio-alerts.rules.yaml"),
    ).toMatchFileSnapshot(`golden/${mode}/istio-alerts.rules.yaml.diff`);
  });

  test("a PrometheusRule object is rewritten the same way and its groups pass promtool", () => {
    const object = asPrometheusRule(RULES);
    const rewritten = rewriteYamlText(object, mode, "prometheusrule.yaml");
    expect(rewritten.expressions.map((e) => e.status)).toEqual(result.expressions.map((e) => e.status));
    expect(parse(rewritten.text).spec).toEqual(parse(result.text));
    checkRules(toYaml(parse(rewritten.text).spec), `${mode}.prometheusrule-groups.yaml`);
  });
});

test("a ConfigMap carrying Istio's Service dashboard is rewritten inside its data value", () => {
  const dashboard = readFileSync(
    new URL(
      "../../../../shared/fixtures/istio-upstream/dashboards/istio-service-dashboard.json",
      import.meta.url,
    ),
    "utf8",
  );
  for (const style of ["block", "double"] as const) {
    const text =
      style === "block"
        ? toYaml({
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: {
              name: "istio-dashboards",
              namespace: "monitoring",
              labels: { grafana_dashboard: "1" },
            },
            data: { "istio-service-dashboard.json": dashboard, "README.txt": "not a dashboard" },
          })
        : `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\ndata:\n  service.json: ${JSON.stringify(dashboard)}\n`;
    const rewritten = rewriteYamlText(text, "after", "cm.yaml");
    const expected = rewriteDashboardText(dashboard, "after", "x");
    const data = parse(rewritten.text).data;
    expect(data["istio-service-dashboard.json"] ?? data["service.json"]).toBe(expected.text);
    expect(rewritten.expressions).toHaveLength(expected.expressions.length);
    expect(rewritten.text.split("\n")).toHaveLength(text.split("\n").length);
  }
});

test("promtool is the real one", () => {
  expect(execFileSync(promtool(), ["--version"], { encoding: "utf8" })).toMatch(/promtool, version/);
});
