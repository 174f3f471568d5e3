import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { runCli } from "../assess/helpers.js";

const fixture = (path: string) =>
  fileURLToPath(new URL(`../../../../shared/fixtures/istio-upstream/bookinfo/${path}`, import.meta.url));
const PLATFORM = fixture("platform/bookinfo.yaml");
const SUBSETS = fixture("networking/destination-rule-all.yaml");
const POLICIES = fileURLToPath(new URL("fixtures/policies.yaml", import.meta.url));

const cli = runCli;

describe("ambient-migrate translate", () => {
  it("prints ready-to-apply YAML on stdout, the report on stderr, and exits 0 without errors", async () => {
    const { code, stdout, stderr } = await cli([
      "translate",
      "-n",
      "bookinfo",
      "-f",
      PLATFORM,
      "-f",
      SUBSETS,
      "-f",
      fixture("networking/virtual-service-reviews-80-20.yaml"),
    ]);
    expect(code).toBe(0);
    const docs = parseAllDocuments(stdout).map((d) => d.toJS());
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toContain("HTTPRoute/reviews");
    const route = docs.find((d) => d.kind === "HTTPRoute");
    expect(route.spec.rules[0].backendRefs).toEqual([
      { name: "reviews-v1", port: 9080, weight: 80 },
      { name: "reviews-v2", port: 9080, weight: 20 },
    ]);
    expect(stderr).toMatch(/LEVEL\s+SOURCE\s+FIELD\s+MESSAGE/);
    expect(stderr).toMatch(/0 error\(s\)/);
  });

  it("exits 3 when a source cannot be translated faithfully, and writes the report as JSON", async () => {
    const dir = mkdtempSync(join(tmpdir(), "translate-"));
    const reportFile = join(dir, "report.json");
    const { code, stdout } = await cli([
      "translate",
      "-n",
      "bookinfo",
      "-f",
      PLATFORM,
      "-f",
      fixture("networking/fault-injection-details-v1.yaml"),
      "--report",
      reportFile,
    ]);
    expect(code).toBe(3);
    expect(stdout).toContain("kind: HTTPRoute");
    const report = JSON.parse(readFileSync(reportFile, "utf8"));
    expect(
      report.report.some(
        (e: { level: string; field: string }) => e.level === "error" && e.field === "spec.http[0].fault",
      ),
    ).toBe(true);
    expect(report.replaces).not.toContain("VirtualService/bookinfo/details");
  });

  it("writes one file per namespace with --output-dir, bypass DENYs apart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "translate-"));
    const { stdout } = await cli([
      "translate",
      "-f",
      PLATFORM,
      "-f",
      POLICIES,
      "-n",
      "bookinfo",
      "--output-dir",
      dir,
      "--bypass-deny",
    ]);
    expect(stdout).toBe("");
    expect(readdirSync(dir).sort()).toEqual(["bookinfo.after-restart.yaml", "bookinfo.yaml"]);
    expect(readFileSync(join(dir, "bookinfo.after-restart.yaml"), "utf8")).toContain(
      "reviews-v2-get-only-bypass-deny",
    );
    expect(readFileSync(join(dir, "bookinfo.yaml"), "utf8")).toContain("reviews-v2-get-only-waypoint");
  });
});
