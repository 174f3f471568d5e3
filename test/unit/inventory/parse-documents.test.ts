import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocuments, parseYamlFast, parseYamlPrecise } from "../../../src/inventory/parse-documents.js";
import { EXAMPLE, FIXTURES } from "../assess/helpers.js";

function manifestsUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return manifestsUnder(path);
    return /\.(ya?ml|json)$/.test(name) ? [path] : [];
  });
}

describe("parseDocuments", () => {
  const files = [...manifestsUnder(FIXTURES), ...manifestsUnder(EXAMPLE)];

  it.each(files)("matches the yaml package's values and lines for %s", (file) => {
    const text = readFileSync(file, "utf8");
    const precise = parseYamlPrecise(text);
    expect(precise.problems).toEqual([]);
    expect(parseDocuments(text, file.endsWith(".json"))).toEqual(precise);
    // The fast YAML path itself, not a fallback, must agree (JSON is YAML too).
    expect(parseYamlFast(text)).toEqual(precise);
  });

  it("finds every fixture", () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it("gives each document the line of its first character, after markers and comments", () => {
    const text = [
      "# leading comment", // 1
      "---", // 2
      "a: 1", // 3
      "---", // 4
      "# about b", // 5
      "", // 6
      "b: |", // 7
      "  ---not a marker", // 8
      "  text", // 9
      "--- {c: 3}", // 10
      "---", // 11
      "&anchor", // 12: the value starts after its anchor, as the yaml package counts
      "d: [x, 'y # z']", // 13
      "---", // 14
      "", // 15
    ].join("\n");
    const parsed = parseYamlFast(text);
    expect(parsed?.documents).toEqual([
      { value: { a: 1 }, line: 3 },
      { value: { b: "---not a marker\ntext\n" }, line: 7 },
      { value: { c: 3 }, line: 10 },
      { value: { d: ["x", "y # z"] }, line: 13 },
    ]);
    expect(parsed).toEqual(parseYamlPrecise(text));
  });

  it("resolves scalars with the YAML 1.2 core schema, like the yaml package", () => {
    const text =
      "a: yes\nb: on\nc: 2024-01-01T00:00:00Z\nd: 0o17\ne: 0x1F\nf: .inf\ng: ~\nh: 1e3\ni: '1'\nj: 012\n";
    const fast = parseYamlFast(text);
    expect(fast?.documents[0]?.value).toEqual({
      a: "yes",
      b: "on",
      c: "2024-01-01T00:00:00Z",
      d: 15,
      e: 31,
      f: Number.POSITIVE_INFINITY,
      g: null,
      h: 1000,
      i: "1",
      j: 12,
    });
    expect(fast).toEqual(parseYamlPrecise(text));
  });

  it("reads JSON with the line of its first brace", () => {
    const text = '\n\n{\n  "kind": "List",\n  "items": []\n}\n';
    expect(parseDocuments(text, true).documents).toEqual([{ value: { kind: "List", items: [] }, line: 3 }]);
  });

  it("sends directives, unknown tags, aliases, merge keys, duplicate keys and errors to the precise path", () => {
    for (const text of [
      "%YAML 1.1\n---\na: 1\n",
      "a: !Ref x\n",
      "a: &x 1\nb: *x\n",
      "a: [1\n",
      "<<: {m: 1}\n",
      "k: 1\nk: 2\n",
    ])
      expect(parseYamlFast(text)).toBeUndefined();
  });

  it("leaves %YAML 1.1 documents to the yaml package, which honours the directive", () => {
    const text = "%YAML 1.1\n---\nenabled: yes\n";
    expect(parseDocuments(text, false).documents).toEqual([{ value: { enabled: true }, line: 3 }]);
  });

  it("leaves unknown tags to the yaml package, which reads them as plain values", () => {
    const text = "a: !Ref name\n";
    expect(parseDocuments(text, false)).toEqual(parseYamlPrecise(text));
    expect(parseDocuments(text, false).documents[0]?.value).toEqual({ a: "name" });
  });

  it("names the line of malformed JSON and of malformed YAML", () => {
    const json = parseDocuments('{\n  "a": 1,\n  "b": [1, 2\n}\n', true);
    expect(json.documents).toEqual([]);
    expect(json.problems[0]?.line).toBe(4);
    expect(json.problems[0]?.message).toMatch(/^malformed YAML: /);
    const yaml = parseDocuments("a: 1\n---\nb: [1\nc: 2\n", false);
    expect(yaml.documents).toEqual([{ value: { a: 1 }, line: 1 }]);
    expect(yaml.problems.map((p) => p.line)).toContain(4);
  });

  it("refuses alias bombs", () => {
    const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    const parsed = parseDocuments(lines.join("\n"), false);
    expect(parsed.documents).toEqual([]);
    expect(parsed.problems).toEqual([
      { line: 1, message: "cannot read: Excessive alias count indicates a resource exhaustion attack" },
    ]);
  });
});
