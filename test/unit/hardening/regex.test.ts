// Class "hangs": user regexes are read with RE2 semantics (linear), never JavaScript's
// backtracking engine; a regex RE2 rejects is an error on its object.

import { describe, expect, it } from "vitest";
import { rewriteExpression } from "../../../src/observability/promql.js";
import { translate } from "../../../src/translate/index.js";
import { inventoryOf, SERVICE, virtualService } from "./helpers.js";

function translateVs(spec: string) {
  const { inventory } = inventoryOf(SERVICE, virtualService(spec));
  return translate(inventory, ["shop"]);
}

describe("hangs: user regexes", () => {
  for (const hostile of ["/(a+)+b", "(a|aa)+$", "(.*a){20}", "((a*)*)*b"]) {
    it(`rule-order analysis of ${hostile} before a covered exact match ends at once`, () => {
      const long = `/${"a".repeat(50_000)}`;
      const started = performance.now();
      const r = translateVs(`
hosts: [web]
http:
- match: [{uri: {regex: ${JSON.stringify(hostile)}}}]
  route: [{destination: {host: api}}]
- match: [{uri: {exact: ${JSON.stringify(long)}}}, {headers: {x-a: {exact: ${JSON.stringify("a".repeat(30_000))}}}}]
  route: [{destination: {host: web}}]
- match: [{headers: {x-a: {regex: ${JSON.stringify(hostile)}}}, uri: {exact: ${JSON.stringify(long)}}}]
  route: [{destination: {host: web}}]
`);
      // Linear matching takes milliseconds; backtracking would take longer than the test runner waits.
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(r.objects.some((o) => o.kind === "HTTPRoute")).toBe(true);
    });
  }

  it("a regex RE2 rejects (lookahead, backreference) is an error on that match, never translated", () => {
    const r = translateVs(`
hosts: [web]
http:
- match: [{uri: {regex: "/a(?=b)"}}]
  route: [{destination: {host: api}}]
- match: [{headers: {x-b: {regex: "(a)\\\\1"}}}]
  route: [{destination: {host: api}}]
- route: [{destination: {host: web}}]
`);
    const errors = r.report.filter((e) => e.level === "error");
    expect(errors.map((e) => e.field)).toEqual(
      expect.arrayContaining(["spec.http[0].match[0].uri.regex", "spec.http[1].match[0].headers.x-b"]),
    );
    expect(errors[0]?.message).toContain("not RE2");
    expect(r.replaces).toEqual([]);
  });

  it("PromQL reporter regexes are read with RE2: a hostile one ends, one RE2 rejects is flagged", () => {
    const started = performance.now();
    const hostile = rewriteExpression('sum(istio_requests_total{reporter=~"(a+)+b"})', "during");
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(hostile.status).toBeDefined();
    const rejected = rewriteExpression('sum(istio_requests_total{reporter=~"(?=x)source"})', "during");
    expect(rejected.status).toBe("flagged");
    expect(rejected.reasons.join(" ")).toContain("RE2");
  });
});
