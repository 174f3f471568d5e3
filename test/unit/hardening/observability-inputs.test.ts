// Class "silently accepted nonsense", observability inputs: a PrometheusRule, a ConfigMap, a plain
// rule file or a Grafana dashboard of the wrong shape is refused with its place and field (exit
// 4), where the rewrite used to skip it and report "0 expression(s)", exit 0.

import { describe, expect, it } from "vitest";
import { cli, tempDir } from "./helpers.js";

const rule = (groups: string) =>
  `apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r, namespace: shop}\nspec:\n  groups: ${groups}\n`;

describe("observability inputs are checked against their schemas", () => {
  it.each([
    [
      "PrometheusRule groups as a map",
      "r.yaml",
      rule("{a: 1}"),
      "r.yaml:1: PrometheusRule shop/r: spec.groups: expected array",
    ],
    [
      "a null rule",
      "r.yaml",
      rule('[{name: g, rules: [{alert: A, expr: "up == 0"}, null]}]'),
      "PrometheusRule shop/r: spec.groups[0].rules[1]: expected object",
    ],
    [
      "a rule file whose rules are text",
      "rules.yaml",
      "groups:\n- name: g\n  rules: x\n",
      "rule file: groups[0].rules: expected array",
    ],
    [
      "a ConfigMap whose data is a list (second document)",
      "cm.yaml",
      `${rule("[]")}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: dash, namespace: shop}\ndata: [a]\n`,
      "cm.yaml:7: ConfigMap shop/dash: data: expected object",
    ],
  ])("--rules: %s", async (_, name, text, expected) => {
    const r = await cli(["observability", "--rules", tempDir({ [name]: text })]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain(expected);
  });

  it.each([
    ["a null panel", '{"panels": [null]}', "panels[0]: expected object"],
    [
      "targets as an object",
      '{"panels": [{"targets": {"expr": "up"}}]}',
      "panels[0].targets: expected array",
    ],
    [
      "a numeric expr in a row's panel",
      '{"rows": [{"panels": [{"targets": [{"expr": 1}]}]}]}',
      "rows[0].panels[0].targets[0].expr: expected string",
    ],
  ])("--dashboards: %s", async (_, text, expected) => {
    const r = await cli(["observability", "--dashboards", tempDir({ "d.json": text })]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain(expected);
  });

  it("a valid rule file and dashboard still rewrite (exit 0)", async () => {
    const dir = tempDir({
      "rules.yaml":
        'groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum(rate(istio_requests_total{reporter="destination"}[5m])) > 1\n',
      "d.json":
        '{"panels": [{"title": "t", "targets": [{"expr": "sum(istio_requests_total{reporter=\\"destination\\"})", "refId": "A"}]}]}',
    });
    const r = await cli(["observability", "--rules", `${dir}/rules.yaml`, "--dashboards", `${dir}/d.json`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2 expression\(s\)/);
  });
});
