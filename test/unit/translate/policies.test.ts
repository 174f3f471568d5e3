import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readManifests } from "../../../src/inventory/from-files.js";
import { toYaml } from "../../../src/serialize.js";
import { translate } from "../../../src/translate/index.js";

const PLATFORM = fileURLToPath(
  new URL("../../../../shared/fixtures/istio-upstream/bookinfo/platform/bookinfo.yaml", import.meta.url),
);
const POLICIES = fileURLToPath(new URL("fixtures/policies.yaml", import.meta.url));

function run(bypassDeny: boolean) {
  const { inventory } = readManifests([PLATFORM, POLICIES], { defaultNamespace: "bookinfo" });
  return translate(inventory, ["bookinfo", "istio-system"], { bypassDeny });
}

const byName = (objects: ReturnType<typeof run>["objects"], name: string) =>
  objects.find((o) => o.metadata.name === name);

describe("policy translation", () => {
  it("matches the golden output", async () => {
    const result = run(true);
    await expect([...result.objects, ...result.afterRestart].map(toYaml).join("---\n")).toMatchFileSnapshot(
      "golden/policies.yaml",
    );
    await expect(
      toYaml({
        replaces: result.replaces.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`),
        report: result.report,
      }),
    ).toMatchFileSnapshot("golden/policies.report.yaml");
  });

  it("keeps L4 policies for ztunnel and warns about caller identity", () => {
    const { objects, replaces, report } = run(false);
    expect(byName(objects, "reviews-l4-waypoint")).toBeUndefined();
    expect(replaces.map((o) => o.metadata.name)).not.toContain("reviews-l4");
    const entries = report.filter((e) => e.source.name === "reviews-l4");
    expect(entries.some((e) => e.level === "info" && /kept/.test(e.message))).toBe(true);
    expect(entries.some((e) => e.level === "warning" && /waypoint as the caller/.test(e.message))).toBe(true);
  });

  it("attaches a selector L7 policy to the Services that select its pods", () => {
    const { objects, replaces, report } = run(false);
    const policy = byName(objects, "reviews-v2-get-only-waypoint");
    expect(policy?.spec.targetRefs).toEqual([{ group: "", kind: "Service", name: "reviews" }]);
    expect(policy?.spec.selector).toBeUndefined();
    expect(policy?.spec.rules).toEqual(
      run(false).replaces.find((o) => o.metadata.name === "reviews-v2-get-only")?.spec.rules,
    );
    expect(policy?.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "ambient-migrate" });
    expect(replaces.map((o) => o.metadata.name)).toContain("reviews-v2-get-only");
    // Service reviews also selects reviews-v1 and v3: the policy gets broader, and says so.
    expect(
      report.some(
        (e) =>
          e.source.name === "reviews-v2-get-only" && e.level === "warning" && /reviews-v1/.test(e.message),
      ),
    ).toBe(true);
  });

  it("attaches namespace-wide policies to the waypoint and root-namespace ones to the GatewayClass", () => {
    const { objects } = run(false);
    expect(byName(objects, "deny-admin-paths-waypoint")?.spec.targetRefs).toEqual([
      { group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" },
    ]);
    expect(byName(objects, "mesh-wide-header-check-waypoint")?.spec.targetRefs).toEqual([
      { group: "gateway.networking.k8s.io", kind: "GatewayClass", name: "istio-waypoint" },
    ]);
    expect(objects.filter((o) => o.kind === "Gateway").map((o) => o.metadata.namespace)).toEqual([
      "bookinfo",
    ]);
  });

  it("moves RequestAuthentication and WasmPlugin to targetRefs", () => {
    const { objects } = run(false);
    expect(byName(objects, "productpage-jwt-waypoint")?.spec).toMatchObject({
      targetRefs: [{ group: "", kind: "Service", name: "productpage" }],
    });
    expect(byName(objects, "ratings-filter-waypoint")?.spec).toMatchObject({
      targetRefs: [{ group: "", kind: "Service", name: "ratings" }],
      phase: "AUTHN",
    });
  });

  it("reports a selector that selects nothing as an error and keeps the source", () => {
    const { report, replaces } = run(false);
    expect(report.some((e) => e.source.name === "nothing-selected" && e.level === "error")).toBe(true);
    expect(replaces.map((o) => o.metadata.name)).not.toContain("nothing-selected");
  });

  it("writes the bypass DENY with the waypoint and the callers still on sidecars", () => {
    const { objects, afterRestart } = run(true);
    expect(byName(objects, "reviews-v2-get-only-bypass-deny")).toBeUndefined();
    expect(byName(afterRestart, "reviews-v2-get-only-bypass-deny")?.spec).toEqual({
      selector: { matchLabels: { app: "reviews", version: "v2" } },
      action: "DENY",
      rules: [
        {
          from: [
            {
              source: {
                notPrincipals: ["cluster.local/ns/bookinfo/sa/waypoint", "cluster.local/ns/clients/sa/curl"],
              },
            },
          ],
        },
      ],
    });
    expect(run(false).afterRestart).toEqual([]);
  });
});
