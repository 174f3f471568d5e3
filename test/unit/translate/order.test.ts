import { describe, expect, it } from "vitest";
import { emitMatch, type MatchCond } from "../../../src/translate/http-match.js";
import { preserveOrder } from "../../../src/translate/order.js";

const cond = (path: MatchCond["path"], extra: Partial<MatchCond> = {}): MatchCond => ({
  path,
  headers: [],
  query: [],
  ...extra,
});
const jason = { name: "end-user", kind: "exact" as const, value: "jason" };

describe("preserveOrder", () => {
  it("keeps raw prefixes as regexes that still match /apiv2", () => {
    expect(emitMatch(cond({ kind: "rawPrefix", value: "/api" })).path).toEqual({
      type: "RegularExpression",
      value: "/api.*",
    });
    expect(emitMatch(cond({ kind: "rawPrefix", value: "/" })).path).toEqual({
      type: "PathPrefix",
      value: "/",
    });
    expect(emitMatch(cond({ kind: "exact", value: "/v1.0" })).path).toEqual({
      type: "Exact",
      value: "/v1.0",
    });
    expect(emitMatch(cond({ kind: "exact", value: "/a", ignoreCase: true })).path).toEqual({
      type: "RegularExpression",
      value: "(?i)/a",
    });
  });

  it("drops matches an earlier rule always takes", () => {
    const result = preserveOrder([
      { matches: [cond({ kind: "rawPrefix", value: "/a" })], actionKey: "one" },
      {
        matches: [cond({ kind: "exact", value: "/ab" }), cond({ kind: "exact", value: "/b" })],
        actionKey: "two",
      },
    ]);
    expect(result.unreachable).toEqual([{ rule: 1, match: 0, shadowedBy: 0 }]);
    expect(result.matches[1]).toEqual([cond({ kind: "exact", value: "/b" })]);
  });

  it("adds the intersection to the earlier rule when a later match ranks higher", () => {
    // VS: jason on any path -> one; exact /login -> two. HTTPRoute ranks Exact above PathPrefix.
    const result = preserveOrder([
      { matches: [cond({ kind: "rawPrefix", value: "/" }, { headers: [jason] })], actionKey: "one" },
      { matches: [cond({ kind: "exact", value: "/login" })], actionKey: "two" },
    ]);
    expect(result.conflicts).toEqual([]);
    expect(result.added).toEqual([
      { rule: 0, because: 1, match: cond({ kind: "exact", value: "/login" }, { headers: [jason] }) },
    ]);
    expect(result.matches[0]?.map(emitMatch)).toEqual([
      {
        path: { type: "PathPrefix", value: "/" },
        headers: [{ type: "Exact", name: "end-user", value: "jason" }],
      },
      {
        path: { type: "Exact", value: "/login" },
        headers: [{ type: "Exact", name: "end-user", value: "jason" }],
      },
    ]);
  });

  it("reports what it cannot repair", () => {
    const result = preserveOrder([
      { matches: [cond({ kind: "rawPrefix", value: "/api" })], actionKey: "one" },
      { matches: [cond({ kind: "rawPrefix", value: "/" }, { headers: [jason] })], actionKey: "two" },
    ]);
    expect(result.conflicts).toHaveLength(1);
    expect(result.conflicts[0]).toMatchObject({ earlier: 0, later: 1 });
  });

  it("ignores inversions between rules with the same action", () => {
    const result = preserveOrder([
      { matches: [cond({ kind: "rawPrefix", value: "/api" })], actionKey: "same" },
      { matches: [cond({ kind: "rawPrefix", value: "/" }, { headers: [jason] })], actionKey: "same" },
    ]);
    expect(result.conflicts).toEqual([]);
  });
});
