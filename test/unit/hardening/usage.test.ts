// Class "usage": every usage error exits 2, wherever it appears on the command line.

import { describe, expect, it } from "vitest";
import { cli } from "./helpers.js";

const EXAMPLE = "examples/bookinfo-mesh";

describe("usage", () => {
  for (const args of [
    ["assess", "--bogus", "-f", EXAMPLE],
    ["assess", "extra", "-f", EXAMPLE],
    ["plan", "-f", EXAMPLE, "--bogus"],
    ["translate", "-f", EXAMPLE, "one", "two"],
    ["migrate", "--dry-run=bogus", "shop"],
    ["observability", "--mode", "sometimes", "-f", EXAMPLE],
    ["status", "-o", "xml", "-f", EXAMPLE],
    ["rollback", "--bogus", "shop"],
    ["assess", "-n", "bookinfo", "-A", "-f", EXAMPLE],
    ["--bogus", "assess"],
    ["nosuchcommand"],
  ]) {
    it(`exits 2: ${args.join(" ")}`, async () => {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/error/);
      expect(r.stderr).not.toContain("internal error");
    });
  }

  it("migrate and rollback take namespaces as arguments, as -n", { timeout: 60_000 }, async () => {
    // No cluster: the namespaces are accepted and the run gets as far as connecting (exit 6).
    const env = process.env.KUBECONFIG;
    process.env.KUBECONFIG = "/nonexistent/kubeconfig";
    try {
      for (const args of [
        ["migrate", "shop", "web", "--yes"],
        ["rollback", "shop", "web", "--yes"],
      ]) {
        const r = await cli(args);
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(6);
      }
      expect((await cli(["rollback", "--yes"])).code).toBe(2);
    } finally {
      if (env === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = env;
    }
  });

  it("a -l that matches no namespace says so", async () => {
    const r = await cli(["assess", "-f", EXAMPLE, "-l", "nothing=here"]);
    expect(r.stderr).toContain("no namespace matches -l nothing=here");
  });
});
