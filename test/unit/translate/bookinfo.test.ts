// Every Bookinfo networking sample from Istio, translated in namespace "bookinfo" with the
// Bookinfo Services and Deployments: golden YAML output and report.

import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readManifests } from "../../../src/inventory/from-files.js";
import { toYaml } from "../../../src/serialize.js";
import { translate } from "../../../src/translate/index.js";

const BOOKINFO = new URL("../../../../shared/fixtures/istio-upstream/bookinfo/", import.meta.url);
const NETWORKING = new URL("networking/", BOOKINFO);
const PLATFORM = fileURLToPath(new URL("platform/bookinfo.yaml", BOOKINFO));
const ALL_SUBSETS = fileURLToPath(new URL("destination-rule-all.yaml", NETWORKING));

const samples = readdirSync(NETWORKING)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

function translateSample(sample: string) {
  const file = fileURLToPath(new URL(sample, NETWORKING));
  // Istio's guide applies destination-rule-all.yaml before the VirtualService samples.
  const withSubsets = sample.startsWith("virtual-service-");
  const paths = withSubsets ? [PLATFORM, ALL_SUBSETS, file] : [PLATFORM, file];
  const { inventory } = readManifests(paths, { defaultNamespace: "bookinfo" });
  return translate(inventory, inventory.namespaceNames());
}

describe("Bookinfo networking samples", () => {
  it("finds the samples", () => {
    expect(samples.length).toBeGreaterThanOrEqual(20);
  });

  for (const sample of samples) {
    it(`translates ${sample}`, async () => {
      const result = translateSample(sample);
      const base = sample.replace(/\.yaml$/, "");
      await expect(result.objects.map(toYaml).join("---\n")).toMatchFileSnapshot(`golden/${base}.yaml`);
      await expect(
        toYaml({
          replaces: result.replaces.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`),
          report: result.report,
        }),
      ).toMatchFileSnapshot(`golden/${base}.report.yaml`);
    });
  }

  it("reports fault injection as an error, never silently", () => {
    for (const sample of [
      "fault-injection-details-v1.yaml",
      "virtual-service-ratings-test-abort.yaml",
      "virtual-service-ratings-test-delay.yaml",
    ]) {
      const { report, replaces } = translateSample(sample);
      const faults = report.filter((e) => e.field.endsWith(".fault"));
      expect(faults.length, sample).toBeGreaterThan(0);
      expect(faults.every((e) => e.level === "error")).toBe(true);
      expect(
        replaces.some((o) => o.kind === "VirtualService"),
        sample,
      ).toBe(false);
    }
  });

  it("always writes explicit, non-zero weights", () => {
    for (const sample of samples) {
      for (const route of translateSample(sample).objects.filter((o) => o.kind === "HTTPRoute")) {
        for (const rule of route.spec.rules) {
          for (const ref of rule.backendRefs ?? [])
            expect(ref.weight, `${sample} ${route.metadata.name}`).toBeGreaterThan(0);
        }
      }
    }
  });

  it("routes jason to reviews-v2 and the rest to reviews-v3", () => {
    const { objects, report } = translateSample("virtual-service-reviews-jason-v2-v3.yaml");
    expect(report.filter((e) => e.level === "error")).toEqual([]);
    const route = objects.find((o) => o.kind === "HTTPRoute" && o.metadata.name === "reviews");
    expect(route?.spec.parentRefs).toEqual([{ group: "", kind: "Service", name: "reviews" }]);
    expect(route?.spec.rules).toEqual([
      {
        matches: [
          {
            path: { type: "PathPrefix", value: "/" },
            headers: [{ type: "Exact", name: "end-user", value: "jason" }],
          },
        ],
        backendRefs: [{ name: "reviews-v2", port: 9080, weight: 100 }],
      },
      {
        matches: [{ path: { type: "PathPrefix", value: "/" } }],
        backendRefs: [{ name: "reviews-v3", port: 9080, weight: 100 }],
      },
    ]);
    expect(objects.find((o) => o.kind === "Gateway")?.spec).toEqual({
      gatewayClassName: "istio-waypoint",
      listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }],
    });
  });
});

describe("two VirtualServices for one host", () => {
  it("warns on both, since their routes merge by precedence at the waypoint", () => {
    const { inventory } = readManifests([PLATFORM], { defaultNamespace: "bookinfo" });
    for (const [name, subset] of [
      ["reviews-a", "v1"],
      ["reviews-b", "v2"],
    ]) {
      inventory.add({
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: name as string, namespace: "bookinfo" },
        spec: { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", subset } }] }] },
      });
    }
    const { report } = translate(inventory, ["bookinfo"]);
    const shared = report.filter((e) => e.level === "warning" && /merge by precedence/.test(e.message));
    expect(shared.map((e) => e.source.name).sort()).toEqual(["reviews-a", "reviews-b"]);
  });
});

describe("a report without info entries (what a plan keeps)", () => {
  it("keeps every warning and error, in order, and drops only the info entries", () => {
    const { inventory } = readManifests(
      [PLATFORM, ALL_SUBSETS, ...samples.map((f) => fileURLToPath(new URL(f, NETWORKING)))],
      {
        defaultNamespace: "bookinfo",
      },
    );
    const full = translate(inventory, inventory.namespaceNames());
    const problems = translate(inventory, inventory.namespaceNames(), { infos: false });
    expect(full.report.some((e) => e.level === "info")).toBe(true);
    expect(problems.report.length).toBeGreaterThan(0);
    expect(problems.report).toEqual(full.report.filter((e) => e.level !== "info"));
    expect(problems.objects).toEqual(full.objects);
    expect(problems.dispositions).toEqual(full.dispositions);
  });
});
