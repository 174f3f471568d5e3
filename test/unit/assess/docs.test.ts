import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FINDING_CODES } from "../../../src/assess/finding.js";

const DOC = readFileSync(new URL("../../../docs/findings.md", import.meta.url), "utf8");

describe("docs/findings.md", () => {
  it("documents every code with its severity, and no other", () => {
    const rows = [...DOC.matchAll(/^\| `([a-z0-9-]+)` \| (blocker|warning|info) \|/gm)].map((m) => [
      m[1],
      m[2],
    ]);
    const expected = Object.entries(FINDING_CODES).map(([code, info]) => [code, info.severity]);
    expect(rows.sort()).toEqual(expected.sort());
  });
});
