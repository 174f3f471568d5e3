// Class "not read the way kubectl reads it": merge keys applied, duplicate keys refused with both
// lines, kustomizations and Helm charts/templates skipped with one note, UTF-8 BOM and UTF-16
// files read (UTF-16 without a BOM refused with a hint), control characters escaped in tables.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { table } from "../../../src/cli/output.js";
import { decode } from "../../../src/inventory/from-files.js";
import { cli, inventoryOf, SERVICE, tempDir } from "./helpers.js";

describe("YAML as kubectl reads it", () => {
  it("applies merge keys (<<): a namespace meshed through a merge key reads as meshed", async () => {
    const text = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    <<: {istio-injection: enabled}
    team: web
`;
    const { inventory, problems } = inventoryOf(text);
    expect(problems).toEqual([]);
    expect(inventory.list("Namespace")[0]?.metadata.labels).toEqual({
      "istio-injection": "enabled",
      team: "web",
    });
    const r = await cli(["assess", "-f", tempDir({ "ns.yaml": text })]);
    expect(r.stdout).toContain(
      "shop: ok, 0 blocker(s), 0 warning(s), 1 info; sidecar (istio-injection=enabled)",
    );
  });

  it("applies merge keys through aliases, later keys winning", () => {
    const text = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations: &common {team: web, tier: front}
  labels:
    <<: *common
    tier: back
`;
    const { inventory, problems } = inventoryOf(text);
    expect(problems).toEqual([]);
    expect(inventory.list("Service")[0]?.metadata.labels).toEqual({ team: "web", tier: "back" });
  });

  it("refuses a duplicate key with file:line of both places; the CLI exits 4", async () => {
    const text = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    istio-injection: enabled
    istio-injection: disabled
`;
    const { problems } = inventoryOf(text);
    expect(problems).toEqual(['a.yaml:7: duplicate key "istio-injection" (first at line 6)']);
    const dir = tempDir({ "ns.yaml": text });
    const r = await cli(["assess", "-f", dir]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('ns.yaml:7: duplicate key "istio-injection" (first at line 6)');
  });

  it("one object defined in two files: a note names both places and the later definition is read", async () => {
    const ns = (value: string) =>
      `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio-injection: ${value}\n`;
    const dir = tempDir({ "a.yaml": ns("enabled"), "b.yaml": `${SERVICE}---\n${ns("disabled")}` });
    const r = await cli(["assess", "-f", dir, "-o", "json"]);
    expect(r.code, r.stderr).not.toBe(4);
    const notes = r.stderr.split("\n").filter((l) => l.includes("defined more than once"));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/1 object\(s\) defined more than once/);
    expect(notes[0]).toMatch(/Namespace\/shop \(.*a\.yaml:1, again at .*b\.yaml:\d+\)/);
    // As kubectl apply -f leaves it: the later file's label, so shop is not meshed.
    const { byNamespace } = JSON.parse(r.stdout).summary as {
      byNamespace: { namespace: string; state: string }[];
    };
    expect(byNamespace.find((n) => n.namespace === "shop")?.state).toBe(
      "not meshed (istio-injection=disabled)",
    );
  });

  it("skips kustomization.yaml and Helm charts with one note, and reads the rest", async () => {
    const dir = tempDir({
      "app/kustomization.yaml": "resources: [services.yaml]\n",
      "app/services.yaml": SERVICE,
      "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
      "chart/values.yaml": "replicas: 2\n",
      "chart/templates/svc.yaml":
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.x }}\n",
    });
    const r = await cli(["assess", "-f", dir, "-o", "json"]);
    expect(r.code, r.stderr).not.toBe(4);
    const notes = r.stderr.split("\n").filter((l) => l.includes("render first"));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain("kustomize build / helm template");
    expect(notes[0]).toMatch(/app\/kustomization\.yaml \(kustomization\)/);
    expect(notes[0]).toMatch(/chart \(Helm chart\)/);
    expect(r.stderr).not.toContain("malformed YAML");
    expect(r.stderr).toContain("2 object(s)");
  });

  it("skips a templated file outside a chart with the note, not its parser errors", async () => {
    const dir = tempDir({
      "svc.yaml": SERVICE,
      "templated.yaml":
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n  {{- include "x" . }}\n',
    });
    const r = await cli(["assess", "-f", dir]);
    expect(r.code, r.stderr).not.toBe(4);
    expect(r.stderr).toMatch(/render first .*templated\.yaml \(template\)/);
    expect(r.stderr).not.toContain("malformed YAML");
  });

  it("a PrometheusRule with {{ $labels }} in a string is a manifest, not a template", () => {
    const { inventory, problems } = inventoryOf(`apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: r, namespace: shop}
spec:
  groups:
  - name: g
    rules:
    - alert: A
      expr: up == 0
      annotations: {summary: "{{ $labels.pod }} is down"}
`);
    expect(problems).toEqual([]);
    expect(inventory.list("PrometheusRule.monitoring.coreos.com")).toHaveLength(1);
  });

  it("reads UTF-8 with a BOM and UTF-16 with a BOM; refuses UTF-16 without one with a hint", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "bom8.yaml"),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SERVICE)]),
    );
    writeFileSync(
      join(dir, "bom16.yaml"),
      Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from(
          SERVICE.replaceAll("name: web", "name: w16").replaceAll("name: api", "name: a16"),
          "utf16le",
        ),
      ]),
    );
    let r = await cli(["assess", "-f", dir]);
    expect(r.code, r.stderr).not.toBe(4);
    expect(r.stderr).toContain("4 object(s)");
    writeFileSync(join(dir, "nobom16.yaml"), Buffer.from(SERVICE, "utf16le"));
    r = await cli(["assess", "-f", dir]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /nobom16\.yaml: cannot read: looks like UTF-16 without a byte order mark; convert it: iconv/,
    );
    expect(decode(Buffer.from([0xfe, 0xff, 0, 0x61]))).toBe("a");
  });

  it("escapes control characters of names in table output", async () => {
    expect(table(["name"], [["a\u001b[31mred\nx\u0007"]])).toBe("NAME\na\\x1b[31mred\\nx\\x07\n");
    const dir = tempDir({
      "ns.yaml":
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: "evil\\e[2J\\u0007", namespace: shop}\nspec: {}\n',
    });
    const r = await cli(["assess", "-f", dir]);
    expect(r.stdout).toContain("evil\\x1b[2J\\x07");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for them
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it("renders a table of 130,000 rows", () => {
    const rows = Array.from({ length: 130_000 }, (_, i) => [`ns-${i}`, "ok"]);
    expect(table(["namespace", "state"], rows).split("\n")).toHaveLength(130_002);
  });
});
