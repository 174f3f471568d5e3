import { describe, expect, it } from "vitest";
import {
  asRegex,
  emitMatch,
  lengthenRegex,
  type MatchCond,
  pathAccepts,
  precedenceKey,
} from "../../../src/translate/http-match.js";
import { preserveOrder, regexOrder } from "../../../src/translate/order.js";

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

  it("a regex before a header-only rule: every match a regex, the earlier rule's longer", () => {
    const rules = [
      [cond({ kind: "regex", value: "/a.*" })],
      [cond({ kind: "rawPrefix", value: "/" }, { headers: [jason] })],
      [cond({ kind: "rawPrefix", value: "/" })],
    ];
    const conflicts = preserveOrder(rules.map((matches, i) => ({ matches, actionKey: String(i) }))).conflicts;
    expect(conflicts.length).toBeGreaterThan(0);
    const encoded = regexOrder(rules);
    expect(encoded.map((r) => r.map((c) => emitMatch(c).path.value))).toEqual([
      ["/a.*(?:)"],
      [".*(?:)"],
      [".*"],
    ]);
    // Strictly decreasing precedence, rule by rule: the HTTPRoute tries them in this order.
    const keys = encoded.map((r) => precedenceKey(emitMatch(r[0] as MatchCond)));
    expect(keys.map((k) => k.slice(0, 2))).toEqual([
      [1, 8],
      [1, 6],
      [1, 2],
    ]);
    const again = preserveOrder(encoded.map((matches, i) => ({ matches, actionKey: String(i) })));
    expect(again.conflicts).toEqual([]);
    expect(again.added).toEqual([]);
  });

  it("the regex forms accept exactly the paths the originals accept", () => {
    const paths = ["/", "/a", "/a/", "/a/b", "/ab", "/A", "/A/B", "/b", "/a.b", "/axb", "/a+"];
    const originals: MatchCond["path"][] = [
      { kind: "exact", value: "/a" },
      { kind: "exact", value: "/a.b" },
      { kind: "exact", value: "/a", ignoreCase: true },
      { kind: "rawPrefix", value: "/a" },
      { kind: "rawPrefix", value: "/a", ignoreCase: true },
      { kind: "rawPrefix", value: "/" },
      { kind: "segmentPrefix", value: "/a" },
      { kind: "segmentPrefix", value: "/a/" },
      { kind: "segmentPrefix", value: "/" },
    ];
    for (const original of originals) {
      const regex = asRegex(original);
      for (const length of [0, 9, 20]) {
        const lengthened = { ...regex, value: lengthenRegex(regex.value, length) };
        expect(lengthened.value.length).toBeGreaterThanOrEqual(length);
        for (const p of paths) {
          expect(
            pathAccepts(lengthened, p),
            `${JSON.stringify(original)} as ${lengthened.value} on ${p}`,
          ).toBe(pathAccepts(original, p));
        }
      }
    }
  });
});
