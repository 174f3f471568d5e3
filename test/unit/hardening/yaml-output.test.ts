// The YAML the tool writes (plans' kubectl heredocs, backups, -o yaml, rewritten dashboards) reads
// back as the same value in every reader it meets: YAML 1.1 as Kubernetes reads it (the `yaml`
// package in 1.1 mode, which the tool reads backups with), YAML 1.2, and js-yaml.

import fc from "fast-check";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { toYaml } from "../../../src/serialize.js";

/** Strings a YAML reader may take for something else: booleans, octals, floats, times, indicators. */
const TRICKY = [
  ...["yes", "no", "on", "off", "y", "n", "Y", "N", "ON", "Off", "true", "False", "null", "Null", "~", ""],
  ...["0777", "08", "010", "0o17", "0x1F", "0b101", "1_000", "60:30", "12:30:45", "1:20:30.5", "190:20:30"],
  ...["1e3", "12e03", "1.5e+3", ".5", "+.5", "1.", ".", "-.", "._", "-.inf", ".nan", "+12", "-0"],
  ...["2024-01-01", "2024-01-01T10:00:00Z", "=", "<<", "-", "- a", "a: b", "#x", "x #y", "@a", "`a"],
  ...["'a'", '"a"', " lead", "trail ", "a\nb", "a\n", "tab\there", "%x", "!x", "&a", "*a", "|", "> x"],
  ...["?", "? x", ":x", "x:", "[a]", "{a}", "a,b", "\u0085", "\u2028", "\ufeffa", "ünï", "😀"],
];

const readers: [string, (text: string) => unknown][] = [
  ["YAML 1.1 (yaml)", (text) => parse(text, { version: "1.1" })],
  ["YAML 1.2 (yaml)", (text) => parse(text)],
  ["js-yaml", (text) => load(text)],
];

const tricky = fc.constantFrom(...TRICKY);
const scalar = fc.oneof(
  tricky,
  fc.string(),
  fc.string({ unit: fc.constantFrom(..."0123456789.:_-+eExob ynYNtf#'\"\n".split("")) }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small" }, scalar, tie("array"), tie("object")),
  array: fc.array(tie("node"), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(tricky, fc.string()), tie("node"), {
    maxKeys: 4,
    noNullPrototype: true,
  }),
})).object; // the tool writes objects (a lone multi-line string at the top is not read back by \`yaml\`)

describe("the YAML the tool writes", () => {
  it.each(readers)("reads back as the same value in %s: every tricky string, as key and value", (_, read) => {
    for (const s of TRICKY)
      expect(read(toYaml({ k: s, [s]: 1, list: [s] }))).toEqual({ k: s, [s]: 1, list: [s] });
  });

  it("reads back as the same value in every reader (property)", () => {
    fc.assert(
      fc.property(value, (v) => {
        const expected = JSON.parse(JSON.stringify(v)); // -0 is 0 in JSON, as in Kubernetes
        const text = toYaml(expected);
        for (const [, read] of readers) expect(read(text)).toEqual(expected);
      }),
      { numRuns: Number(process.env.YAML_RUNS ?? 2000) },
    );
  }, 300_000);

  it("leaves undefined fields out and never aliases a shared object", () => {
    const shared = { a: 1 };
    expect(toYaml({ gone: undefined, one: shared, two: shared })).toBe("one:\n  a: 1\ntwo:\n  a: 1\n");
  });

  it("never folds a long string", () => {
    const long = "word ".repeat(60).trim();
    expect(toYaml({ long })).toBe(`long: ${long}\n`);
  });
});
