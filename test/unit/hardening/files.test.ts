// Class "files": --output-dir never writes outside itself nor over an existing file without
// --overwrite; bad output paths, unreadable inputs and deep nesting end with a message and the
// documented exit code, never a stack trace.

import { existsSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, SERVICE, tempDir, virtualService } from "./helpers.js";

const ROUTE = virtualService(`
hosts: [web]
http:
- route: [{destination: {host: web}}]
`);

describe("files", () => {
  it("--output-dir refuses a namespace that would write outside it ('..', '/')", async () => {
    const escaping = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: ../../../x}
spec: {hosts: [web], http: [{route: [{destination: {host: web.shop.svc.cluster.local, port: {number: 80}}}]}]}
`;
    const dir = tempDir({ "in.yaml": `${SERVICE}---\n${escaping}` });
    const out = join(dir, "out", "deep");
    const r = await cli(["translate", "-f", join(dir, "in.yaml"), "--output-dir", out]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('namespace "../../../x" cannot name a file');
    expect(existsSync(join(dir, "x.yaml"))).toBe(false);
    expect(existsSync(join(out, "..", "..", "..", "x.yaml"))).toBe(false);
  });

  it("--output-dir never overwrites an existing file without --overwrite (exit 2, naming it)", async () => {
    const dir = tempDir({ "in.yaml": `${SERVICE}---\n${ROUTE}`, "out/shop.yaml": "mine\n" });
    const out = join(dir, "out");
    const r = await cli(["translate", "-f", join(dir, "in.yaml"), "--output-dir", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(out, "shop.yaml"));
    expect(readFileSync(join(out, "shop.yaml"), "utf8")).toBe("mine\n");
    const again = await cli(["translate", "-f", join(dir, "in.yaml"), "--output-dir", out, "--overwrite"]);
    expect(again.code).toBe(0);
    expect(readFileSync(join(out, "shop.yaml"), "utf8")).toContain("kind: HTTPRoute");
  });

  it("an --output-dir that is a file, and a --report that is a directory, exit 2 with a message", async () => {
    const dir = tempDir({ "in.yaml": `${SERVICE}---\n${ROUTE}`, file: "x" });
    const notDir = await cli(["translate", "-f", join(dir, "in.yaml"), "--output-dir", join(dir, "file")]);
    expect(notDir.code).toBe(2);
    expect(notDir.stderr).toContain("--output-dir");
    const report = await cli(["translate", "-f", join(dir, "in.yaml"), "--report", dir]);
    expect(report.code).toBe(2);
    expect(report.stderr).toMatch(/--report .*: cannot write: it is a directory/);
    const obs = await cli(["observability", "-f", join(dir, "in.yaml"), "--output-dir", join(dir, "file")]);
    expect(obs.code).toBe(2);
  });

  it("an unreadable input exits 4 and names the path", async () => {
    const dir = tempDir({ "ok.yaml": SERVICE });
    symlinkSync(join(dir, "missing"), join(dir, "dangling.yaml"));
    const r = await cli(["assess", "-f", dir]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("dangling.yaml");
    const rules = await cli(["observability", "--rules", join(dir, "nothing-here.yaml")]);
    expect(rules.code).toBe(4);
    expect(rules.stderr).toContain("nothing-here.yaml");
  });

  it("deep nesting exits 4: nested too deeply at file:line, through -f and --rules alike", {
    timeout: 60_000,
  }, async () => {
    const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
    const dir = tempDir({
      "deep.yaml": `${SERVICE}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\ndata: ${deep}\n`,
      "rules.yaml": `groups:\n- name: g\n  rules: ${deep}\n`,
    });
    for (const args of [
      ["assess", "-f", join(dir, "deep.yaml")],
      ["translate", "-f", join(dir, "deep.yaml")],
      ["observability", "--rules", join(dir, "rules.yaml")],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(" ")).toBe(4);
      expect(r.stderr, args.join(" ")).toMatch(/(deep|rules)\.yaml:\d+: nested too deeply/);
    }
  });

  it("YAML alias errors exit 4 through --rules as through -f", async () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++)
      bomb.push(
        `${"b".repeat(i)}: &${"a".repeat(i + 1)} [${Array(10)
          .fill(`*${"a".repeat(i)}`)
          .join(", ")}]`,
      );
    const text = `groups: []\n${bomb.join("\n")}\n`;
    const dir = tempDir({
      "rules.yaml": text,
      "m.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n${bomb.join("\n")}\n`,
    });
    const viaRules = await cli(["observability", "--rules", join(dir, "rules.yaml")]);
    const viaF = await cli(["assess", "-f", join(dir, "m.yaml")]);
    expect(viaF.code).toBe(4);
    expect(viaRules.code).toBe(4);
    expect(viaRules.stderr).toContain("rules.yaml:");
  });
});
