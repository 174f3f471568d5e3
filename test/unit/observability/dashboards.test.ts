// Istio's own dashboards (istio/istio manifests/addons/dashboards) as real-world input.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { rewriteDashboardText } from "../../../src/observability/dashboard.js";
import { unifiedDiff } from "../../../src/observability/diff.js";
import type { RewriteMode } from "../../../src/observability/promql.js";

const DIR = new URL("../../../../shared/fixtures/istio-upstream/dashboards/", import.meta.url);
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort();
const read = (file: string) => readFileSync(new URL(file, DIR), "utf8");
const MODES: RewriteMode[] = ["during", "after"];

const L7 =
  "istio_(?:requests_total|request_messages_total|response_messages_total|(?:request_duration_milliseconds|request_duration_seconds|request_bytes|response_bytes)_(?:bucket|sum|count))";
const selectors = (text: string, family: string) =>
  [...text.matchAll(new RegExp(`${family}\\{[^}]*\\}`, "g"))].map((m) => m[0]);
const reporterOf = (selector: string) => /reporter(=~?|!=|!~)"([^"]*)"/.exec(selector)?.slice(1).join("");

test("seven dashboards are there", () => {
  expect(FILES).toHaveLength(7);
});

describe("panel expression counts match telemetry.md", () => {
  // Counted independently of the rewriter: the strings of panels[].targets[].expr (nested panels too).
  const panelExpressions = (file: string): string[] => {
    const out: string[] = [];
    // biome-ignore lint/suspicious/noExplicitAny: dashboard JSON
    const walk = (panels: any[] | undefined) => {
      for (const p of panels ?? []) {
        for (const t of p.targets ?? []) if (typeof t.expr === "string" && t.expr !== "") out.push(t.expr);
        walk(p.panels);
      }
    };
    walk(JSON.parse(read(file)).panels);
    return out;
  };
  test.each([
    ["istio-service-dashboard.json", 76, 37, 0, 39],
    ["istio-workload-dashboard.json", 71, 0, 32, 39],
    ["istio-performance-dashboard.json", 27, 0, 3, 0],
  ])("%s: %i expressions, %i destination, %i source, %i $qrep", (file, total, destination, source, qrep) => {
    const exprs = panelExpressions(file);
    const counts = {
      total: exprs.length,
      destination: exprs.filter((e) => e.includes('reporter="destination"')).length,
      source: exprs.filter((e) => e.includes('reporter="source"')).length,
      qrep: exprs.filter((e) => e.includes('reporter=~"$qrep"')).length,
    };
    console.log(file, counts);
    expect(counts).toEqual({ total, destination, source, qrep });
    const report = rewriteDashboardText(read(file), "during", file).expressions.filter(
      (e) => e.place === "panel",
    );
    expect(report).toHaveLength(total);
  });
});

describe.each(MODES)("mode %s", (mode) => {
  test.each(FILES)("%s: every expression parses, none is flagged", (file) => {
    const { expressions } = rewriteDashboardText(read(file), mode, file);
    expect(expressions.filter((e) => e.status === "flagged").map((e) => [e.location, e.reasons])).toEqual([]);
  });

  test.each(FILES)("%s: every L7 reporter matcher rewritten, TCP selectors untouched", (file) => {
    const before = read(file);
    const after = rewriteDashboardText(before, mode, file).text;
    const expected = (reporter: string | undefined) => {
      if (reporter === undefined) return undefined;
      if (mode === "after") return '="waypoint"';
      if (reporter.includes("waypoint")) return reporter;
      return `=~"${reporter.replace(/^=~?"(.*)"$/, "$1")}|waypoint"`;
    };
    const l7Before = selectors(before, L7).map(reporterOf);
    const l7After = selectors(after, L7).map(reporterOf);
    expect(l7After).toEqual(l7Before.map(expected));
    expect(selectors(after, "istio_tcp_\\w+")).toEqual(selectors(before, "istio_tcp_\\w+"));
  });

  test.each(FILES)("%s: rewriting twice changes nothing more", (file) => {
    const once = rewriteDashboardText(read(file), mode, file).text;
    expect(rewriteDashboardText(once, mode, file).text).toBe(once);
  });

  test.each(FILES)("%s: the JSON tree is the same except the rewritten strings", (file) => {
    const before = read(file);
    const { text, expressions } = rewriteDashboardText(before, mode, file);
    const rewritten = new Map(
      expressions.filter((e) => e.status === "rewritten").map((e) => [JSON.stringify(e.path), e.text]),
    );
    const seen = new Set<string>();
    const compare = (a: unknown, b: unknown, path: (string | number)[]) => {
      const key = JSON.stringify(path);
      if (typeof a === "string" && rewritten.has(key)) {
        expect(b, key).toBe(rewritten.get(key));
        expect(b, key).not.toBe(a);
        seen.add(key);
        return;
      }
      expect(typeof b, key).toBe(typeof a);
      expect(Array.isArray(b), key).toBe(Array.isArray(a));
      if (a === null || typeof a !== "object") return expect(b, key).toBe(a);
      const ka = Object.keys(a);
      expect(Object.keys(b as object), key).toEqual(ka);
      for (const k of ka) {
        const index = Array.isArray(a) ? Number(k) : k;
        compare((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...path, index]);
      }
    };
    compare(JSON.parse(before), JSON.parse(text), []);
    expect([...seen].sort()).toEqual([...rewritten.keys()].sort());
    // Outside the rewritten strings, the text is byte for byte the same: same lines, and every
    // changed line holds one of the rewritten strings.
    const a = before.split("\n");
    const b = text.split("\n");
    expect(b).toHaveLength(a.length);
    const encoded = [...rewritten.values()].map((v) => JSON.stringify(v));
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i])
        expect(
          encoded.some((v) => b[i]?.includes(v)),
          `line ${i + 1}`,
        ).toBe(true);
    }
  });

  test.each(FILES)("%s: diff (golden)", async (file) => {
    const before = read(file);
    const { text } = rewriteDashboardText(before, mode, file);
    const diff = unifiedDiff(before, text, `a/${file}`, `b/${file}`);
    await expect(diff || "(no change)\n").toMatchFileSnapshot(`golden/${mode}/${file}.diff`);
  });
});

test.each(["istio-service-dashboard.json", "istio-workload-dashboard.json"])(
  "%s rewritten during migration (golden)",
  async (file) => {
    await expect(rewriteDashboardText(read(file), "during", file).text).toMatchFileSnapshot(
      `golden/during/${file}.golden`,
    );
  },
);

test("the reporter variable gets waypoint", () => {
  const file = "istio-service-dashboard.json";
  const qrep = rewriteDashboardText(read(file), "during", file).expressions.find(
    (e) => e.location === "variable qrep options",
  );
  expect(qrep).toMatchObject({
    status: "rewritten",
    original: "source,destination",
    text: "source,destination,waypoint",
  });
});
