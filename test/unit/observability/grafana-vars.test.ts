// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana variables such as ${var} are literal text here
import { parser } from "@prometheus-io/lezer-promql";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  grafanaVariableNames,
  restoreVariables,
  substituteVariables,
  templateQueryExpression,
} from "../../../src/observability/grafana-vars.js";

const variable = fc.oneof(
  fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/).map((n) => `$${n}`),
  fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/).map((n) => `\${${n}}`),
  fc
    .tuple(fc.stringMatching(/^[a-z_]\w{0,8}$/), fc.constantFrom("csv", "regex", "pipe", "raw"))
    .map(([n, f]) => `\${${n}:${f}}`),
  fc.stringMatching(/^[a-z_]\w{0,8}$/).map((n) => `[[${n}]]`),
  fc.constantFrom("$__rate_interval", "$__interval", "$__range", "$__interval_ms"),
);
const promqlPiece = fc.constantFrom(
  "sum(rate(",
  'istio_requests_total{reporter="',
  '"}',
  "[",
  "]",
  ")) by (",
  ")",
  " offset ",
  " @ ",
  " / ",
  ",",
  "'",
  '"',
  "# comment\n",
  "`",
  " ",
);
const textWithVariables = fc.array(fc.oneof(variable, promqlPiece), { maxLength: 30 }).map((p) => p.join(""));

const hasError = (text: string) => {
  let error = false;
  parser.parse(text).iterate({
    enter: (n) => {
      if (n.type.isError) error = true;
    },
  });
  return error;
};

describe("placeholder substitution", () => {
  test("restore(substitute(x)) is x, and substitution keeps the length", () => {
    fc.assert(
      fc.property(textWithVariables, (text) => {
        const s = substituteVariables(text);
        expect(s.text.length).toBe(text.length);
        for (const p of s.placeholders) expect(s.text.slice(p.start, p.end).length).toBe(p.original.length);
        expect(restoreVariables(s.text, s.placeholders)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  test("variables inside string literals stay, the rest become placeholders", () => {
    const s = substituteVariables('rate(x{a=~"$qrep"}[$__rate_interval]) by ($by)');
    expect(s.placeholders.map((p) => p.original)).toEqual(["$__rate_interval", "$by"]);
    expect(s.text).toBe('rate(x{a=~"$qrep"}[111111111111111s]) by (___)');
  });

  test.each([
    'sum(rate(istio_requests_total{reporter=~"$qrep"}[$__rate_interval])) by (le)',
    "rate(x[${interval}])",
    "rate(x[${n}m])",
    "rate(x[5m:$__interval])",
    "rate(x[5m]) offset $offset",
    "x @ $ts",
    "histogram_quantile($quantile, sum(rate(x_bucket[1m])) by (le))",
    "sum by ($group) (x)",
    'x{$label="a"}',
    "topk([[n]], x)",
    "sum(rate(x[[[interval]]]))",
    "x / $__range_s",
    "${metric}_total",
  ])("%s parses once substituted", (expr) => {
    expect(hasError(expr)).toBe(true);
    expect(hasError(substituteVariables(expr).text)).toBe(false);
  });

  test("variable names", () => {
    expect(grafanaVariableNames('x{a=~"$qrep", b="${svc:regex}", c="[[ns]]"}')).toEqual([
      "qrep",
      "svc",
      "ns",
    ]);
  });
});

describe("template query unwrapping", () => {
  test.each([
    ["query_result(sum(x) by (a))", "sum(x) by (a)"],
    ['label_values(x{a="b,c"}, a)', 'x{a="b,c"}'],
    ["label_values(sum by (a, b) (x), a)", "sum by (a, b) (x)"],
    ["up", "up"],
  ])("%s", (query, inner) => {
    const q = templateQueryExpression(query)!;
    expect(query.slice(q.start, q.end)).toBe(inner);
  });

  test("no expression", () => {
    expect(templateQueryExpression("label_values(a)")).toBeUndefined();
    expect(templateQueryExpression("label_names()")).toBeUndefined();
  });
});
