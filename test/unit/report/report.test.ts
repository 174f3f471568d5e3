import { describe, expect, it } from "vitest";
import { readManifests } from "../../../src/inventory/from-files.js";
import { buildReport } from "../../../src/report/data.js";
import { renderReportHtml } from "../../../src/report/html.js";
import { journalConfigMap, newJournal } from "../../../src/run/journal.js";
import { EXAMPLE, inventoryOf, namespaceYaml } from "../assess/helpers.js";

const now = new Date("2026-01-02T03:04:05Z");

describe("report data", () => {
  const { inventory } = readManifests([EXAMPLE]);
  const data = buildReport(inventory, inventory.namespaceNames(), { now });

  it("pairs each translated source with what it became and the report's entries about it", () => {
    const bookinfo = data.namespaces.find((n) => n.namespace === "bookinfo");
    const ratings = bookinfo?.translations.find(
      (t) => t.source.kind === "VirtualService" && t.source.metadata.name === "ratings",
    );
    expect(ratings?.translated.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(["HTTPRoute/ratings"]);
    expect(ratings?.entries.some((e) => e.level === "error" && e.field === "spec.http[0].fault")).toBe(true);
    // A blocked namespace is still translated: the report shows what blocks it.
    expect(bookinfo?.plan.blocked).toBe(true);
    // An ingress-only VirtualService produces nothing, and the report says why.
    const ingress = bookinfo?.translations.find((t) => t.source.metadata.name === "bookinfo");
    expect(ingress?.translated).toEqual([]);
    expect(ingress?.entries.map((e) => e.field)).toContain("spec.gateways");
  });

  it("gives each namespace its own findings and its plan", () => {
    const vms = data.namespaces.find((n) => n.namespace === "legacy-vms");
    expect(vms?.findings.map((f) => f.code)).toContain("vm-workload-entry");
    expect(vms?.findings.every((f) => f.namespace === "legacy-vms")).toBe(true);
    expect(data.namespaces.find((n) => n.namespace === "bookinfo-canary")?.plan.steps).toHaveLength(6);
    expect(data.source).toBe(`files: ${EXAMPLE}`);
  });
});

describe("report waves", () => {
  it("draws the waves as plan --waves orders them, an arrow per call between two of them", () => {
    const inventory = inventoryOf(
      `${namespaceYaml("front", { "istio-injection": "enabled" })}
---
${namespaceYaml("back", { "istio-injection": "enabled" })}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: from-front, namespace: back}
spec:
  action: ALLOW
  rules: [{from: [{source: {namespaces: ["front"]}}]}]
`,
    );
    const data = buildReport(inventory, ["front", "back"], { now });
    expect(data.waves.waves.map((w) => w.namespaces)).toEqual([["front"], ["back"]]);
    expect(data.waves.calls.map((c) => `${c.from}>${c.to}`)).toEqual(["front>back"]);
    const html = renderReportHtml(data);
    expect(html).toContain('<a href="#waves">Waves</a>');
    const svg = html.slice(
      html.indexOf('<svg class="chart waves"'),
      html.indexOf("</svg>", html.indexOf('<svg class="chart waves"')),
    );
    expect(svg).toContain(">wave 1</text>");
    expect(svg).toContain(">wave 2</text>");
    expect(svg.match(/<line [^>]*class="call"/g)).toHaveLength(1);
    expect(svg).toContain("<title>front calls back</title>");
  });
});

describe("report html", () => {
  it("escapes everything that comes from the mesh", () => {
    const inventory = inventoryOf(
      `${namespaceYaml("app", { "istio-injection": "enabled" })}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: app}
spec:
  hosts: [web]
  http:
  - match: [{headers: {x: {exact: "</pre><script>alert(1)</script>"}}}]
    route: [{destination: {host: web}}]
`,
      "app",
    );
    const html = renderReportHtml(buildReport(inventory, ["app"], { now }));
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain("&lt;/pre&gt;&lt;script&gt;alert(1)");
    // One script, inline; no src or href leaves the page.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/\s(src|href)="(?!#)/);
  });

  it("shows a namespace's journal: who ran it, when, each change and gate, rollbacks", () => {
    const inventory = inventoryOf(namespaceYaml("shop", { "istio-injection": "enabled" }), "shop");
    const plan = buildReport(inventory, ["shop"], { now }).namespaces[0]?.plan;
    if (!plan) throw new Error("no plan");
    const journal = newJournal(plan, "alice@laptop", now);
    journal.status = "failed";
    journal.currentStep = 2;
    journal.failure = "ztunnel does not list pod web-1";
    journal.changes.push({
      id: "1.0",
      step: 1,
      type: "label",
      target: "Namespace/shop",
      state: "done",
      time: "2026-01-02T03:04:06Z",
      doneTime: "2026-01-02T03:04:07Z",
    });
    journal.gates.push({
      step: 1,
      gate: "waypoint-programmed",
      time: "2026-01-02T03:04:08Z",
      detail: "passed",
    });
    journal.rollbacks.push({ time: "2026-01-02T04:00:00Z", toStep: 0, undone: [], verified: true });
    inventory.add(journalConfigMap(journal));
    const data = buildReport(inventory, ["shop"], { now });
    expect(data.namespaces[0]?.journal?.summary).toBe("failed at step 2");
    const html = renderReportHtml(data);
    for (const text of [
      "alice@laptop",
      "ztunnel does not list pod web-1",
      "waypoint-programmed",
      "Namespace/shop",
      "2026-01-02T04:00:00Z",
      "failed at step 2",
    ])
      expect(html).toContain(text);
  });
});
