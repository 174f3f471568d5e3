import { describe, expect, it } from "vitest";
import { EXAMPLE, runCli } from "./helpers.js";

describe("ambient-migrate assess", () => {
  it("matches the golden JSON for the example mesh and exits 3 (legacy-vms is blocked)", async () => {
    const { code, stdout, stderr } = await runCli(["assess", "-f", EXAMPLE, "-o", "json"]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^read \d+ document\(s\) from \d+ file\(s\)/);
    const doc = JSON.parse(stdout);
    expect(doc.summary.blockedNamespaces).toEqual(["legacy-vms"]);
    await expect(stdout).toMatchFileSnapshot("golden/assess-example.json.golden");
  });

  it("prints a table, remedies and one summary line per namespace", async () => {
    const { stdout } = await runCli(["assess", "-f", EXAMPLE]);
    expect(stdout.split("\n")[0]).toMatch(/^NAMESPACE\s+SEVERITY\s+CODE\s+OBJECT\s+MESSAGE$/);
    expect(stdout).toContain("Remedies:");
    expect(stdout).toMatch(
      /legacy-vms WorkloadEntry\/mysqldb-vm \[vm-workload-entry\]: .*legacy-vms\.yaml:\d+/,
    );
    expect(stdout).toContain("legacy-vms: BLOCKED, 2 blocker(s)");
    expect(stdout).toContain("bookinfo-canary: ok, 0 blocker(s), 0 warning(s)");
  });

  it("exits 0 when the selected namespaces have no blocker, and speaks YAML", async () => {
    const { code, stdout } = await runCli(["assess", "-f", EXAMPLE, "-n", "bookinfo-canary", "-o", "yaml"]);
    expect(code).toBe(0);
    expect(stdout).toContain("code: l4-policy-kept");
    expect(stdout).not.toContain("legacy-vms");
  });

  it("exits 5 for a namespace that is not in the input", async () => {
    const { code, stderr } = await runCli(["assess", "-f", EXAMPLE, "-n", "nope"]);
    expect(code).toBe(5);
    expect(stderr).toContain("namespace(s) not found: nope");
  });
});
