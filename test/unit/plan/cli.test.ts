import { describe, expect, it } from "vitest";
import { EXAMPLE, runCli } from "../assess/helpers.js";

describe("ambient-migrate plan", () => {
  it("matches the golden JSON for the example mesh and exits 0 even with a blocked namespace", async () => {
    const { code, stdout } = await runCli(["plan", "-f", EXAMPLE, "-o", "json"]);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout);
    expect(
      plan.namespaces.map((n: { namespace: string; blocked: boolean }) => [n.namespace, n.blocked]),
    ).toEqual([
      ["bookinfo", false],
      ["bookinfo-canary", false],
      ["legacy-vms", true],
      ["orders", false],
      ["payments", false],
    ]);
    await expect(stdout).toMatchFileSnapshot("golden/plan-example.json.golden");
  });

  it("exits 3 with --fail-on-blocked when a selected namespace is blocked", async () => {
    expect((await runCli(["plan", "-f", EXAMPLE, "--fail-on-blocked"])).code).toBe(3);
    expect((await runCli(["plan", "-f", EXAMPLE, "-n", "bookinfo", "--fail-on-blocked"])).code).toBe(0);
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
});
