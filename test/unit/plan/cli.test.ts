import { describe, expect, it } from "vitest";
import { readManifests } from "../../../src/inventory/from-files.js";
import { planNamespaces } from "../../../src/plan/build.js";
import { renderPlanText } from "../../../src/plan/render-text.js";
import { EXAMPLE, runCli } from "../assess/helpers.js";

describe("ambient-migrate plan", () => {
  it("matches the golden JSON for the example mesh and exits 0 even with blocked namespaces", async () => {
    const { code, stdout } = await runCli(["plan", "-f", EXAMPLE, "-o", "json"]);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout);
    expect(
      plan.namespaces.map((n: { namespace: string; blocked: boolean }) => [n.namespace, n.blocked]),
    ).toEqual([
      ["bookinfo", true],
      ["bookinfo-canary", false],
      ["legacy-vms", true],
      ["orders", false],
      ["payments", false],
    ]);
    await expect(stdout).toMatchFileSnapshot("golden/plan-example.json.golden");
  });

  it("lists bookinfo's translated objects once losses are accepted, and the bypass DENY after step 4", async () => {
    const args = ["plan", "-f", EXAMPLE, "-n", "bookinfo", "--accept-translation-losses", "--bypass-deny"];
    const { code, stdout } = await runCli([...args, "-o", "json"]);
    expect(code).toBe(0);
    await expect(stdout).toMatchFileSnapshot("golden/plan-bookinfo-accepted.json.golden");
    const text = (await runCli(args)).stdout;
    expect(text).toContain("translation: 1 error(s)");
    expect(text).toContain(
      "After migration (observability, no change made by this plan; ambient-migrate observability --apply makes them):",
    );
  });

  it("exits 3 with --fail-on-blocked when a selected namespace is blocked", async () => {
    expect((await runCli(["plan", "-f", EXAMPLE, "--fail-on-blocked"])).code).toBe(3);
    expect((await runCli(["plan", "-f", EXAMPLE, "-n", "bookinfo-canary", "--fail-on-blocked"])).code).toBe(
      0,
    );
  });

  it("prints text a person can follow, with the exact rollback values", async () => {
    const { stdout } = await runCli(["plan", "-f", EXAMPLE, "-n", "bookinfo-canary"]);
    expect(stdout).toContain("Namespace bookinfo-canary: sidecar (istio.io/rev=1-27)");
    expect(stdout).toContain("$ kubectl label namespace bookinfo-canary istio.io/rev-");
    expect(stdout).toContain("$ kubectl label namespace bookinfo-canary istio.io/rev=1-27 --overwrite");
    expect(stdout).toContain("Step 6: Validate");
  });

  it("speaks YAML", async () => {
    const { stdout } = await runCli(["plan", "-f", EXAMPLE, "-n", "orders", "-o", "yaml"]);
    expect(stdout).toMatch(/^namespaces:\n {2}- namespace: orders/);
  });

  it("writes the text plan namespace by namespace, exactly the text of the whole plan", async () => {
    const { inventory } = readManifests([EXAMPLE]);
    const whole = renderPlanText(planNamespaces(inventory, inventory.namespaceNames(), {}));
    expect(whole).toContain("Namespace payments:");
    expect((await runCli(["plan", "-f", EXAMPLE])).stdout).toBe(whole);
  });
});
