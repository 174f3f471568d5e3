import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  parseDocuments,
  parseYamlFast,
  parseYamlPrecise,
  StringTable,
} from "../../../src/inventory/parse-documents.js";
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

describe("StringTable({ shareSubtrees: true })", () => {
  const deployment = (name: string) =>
    [
      "apiVersion: apps/v1",
      "kind: Deployment",
      `metadata: {name: ${name}, namespace: shop, labels: {app: web}}`,
      "spec:",
      "  selector: {matchLabels: {app: web}}",
      "  template:",
      "    metadata: {labels: {app: web}}",
      "    spec:",
      "      containers:",
      "      - {name: web, ports: [{containerPort: 8080}]}",
    ].join("\n");
  // biome-ignore lint/suspicious/noExplicitAny: reaching into parsed documents
  const values = (text: string, table: StringTable): any[] =>
    parseDocuments(text, false, table).documents.map((d) => d.value);

  it("keeps one frozen copy of equal subtrees across documents and files, values unchanged", () => {
    const table = new StringTable({ shareSubtrees: true });
    const [a, b] = values(`${deployment("a")}\n---\n${deployment("b")}`, table);
    const [c] = values(deployment("c"), table);
    expect([a, b, c]).toEqual(
      values(`${deployment("a")}\n---\n${deployment("b")}\n---\n${deployment("c")}`, new StringTable()),
    );
    expect(b.spec.selector).toBe(a.spec.selector);
    expect(c.spec.template.spec).toBe(a.spec.template.spec);
    expect(c.metadata.labels).toBe(a.metadata.labels);
    // Within one document too: the selector's labels and the template's are one copy.
    expect(a.spec.template.metadata.labels).toBe(a.spec.selector.matchLabels);
    expect(Object.isFrozen(a.spec.template.spec.containers)).toBe(true);
    expect(() => {
      a.spec.template.spec.containers[0].ports[0].containerPort = 9090;
    }).toThrow(TypeError);
    expect(c.spec.template.spec.containers[0].ports[0].containerPort).toBe(8080);
  });

  it("never shares a document's top, a metadata, or what holds one (a pod template, a list's items)", () => {
    const table = new StringTable({ shareSubtrees: true });
    const list =
      "apiVersion: v1\nkind: List\nitems:\n- {kind: ServiceAccount, apiVersion: v1, metadata: {name: x}}\n";
    const [a, b, l1, l2] = values(
      `${deployment("a")}\n---\n${deployment("a")}\n---\n${list}---\n${list}`,
      table,
    );
    expect(b).not.toBe(a);
    expect(b.metadata).not.toBe(a.metadata);
    expect(b.spec).not.toBe(a.spec);
    expect(b.spec.template).not.toBe(a.spec.template);
    expect(b.spec.template.metadata).not.toBe(a.spec.template.metadata);
    expect(l2.items).not.toBe(l1.items);
    expect(l2.items[0]).not.toBe(l1.items[0]);
    for (const value of [
      a,
      a.metadata,
      a.spec,
      a.spec.template,
      a.spec.template.metadata,
      l1.items,
      l1.items[0],
    ])
      expect(Object.isFrozen(value)).toBe(false);
    // Reading gives a namespaced object without a namespace its default one, in place.
    a.metadata.namespace = "elsewhere";
    expect(b.metadata.namespace).toBe("shop");
  });

  it("tells apart values that print alike: 1 and '1', true and 'true', 0 and -0, key order, nesting", () => {
    const table = new StringTable({ shareSubtrees: true });
    const pairs = [
      ["{a: 1}", "{a: '1'}"],
      ["{a: true}", "{a: 'true'}"],
      ["{a: null}", "{a: 'null'}"],
      ["{a: 0}", "{a: -0}"],
      ["{a: 1, b: 2}", "{b: 2, a: 1}"],
      ["[1, 2]", "[12]"],
      ["['a,b']", "[a, b]"],
      ["{'a=s1:b': c}", "{a: b, c: d}"],
      ["[[1], [2]]", "[[1, 2]]"],
      ["{a: []}", "{a: {}}"],
    ];
    for (const [left, right] of pairs) {
      const [l, r] = values(`x: {v: ${left}}\n---\nx: {v: ${right}}`, table);
      expect(r.x.v, `${left} / ${right}`).not.toBe(l.x.v);
      expect(Object.is(r.x.v.a, -0)).toBe(right === "{a: -0}");
    }
  });

  it("reads a value given twice by an alias, and shares a subtree however long", () => {
    const table = new StringTable({ shareSubtrees: true });
    const text = "kind: A\nx: &p {ports: [1, 2]}\ny: *p\nz: {ports: [1, 2]}\n";
    const [one] = values(text, table);
    expect(one).toEqual({ kind: "A", x: { ports: [1, 2] }, y: { ports: [1, 2] }, z: { ports: [1, 2] } });
    expect(one.z).toBe(one.x);
    const long = "x".repeat(500);
    const [l, r] = values(`v: {a: ${long}}\n---\nv: {a: ${long}}`, table);
    expect(r.v).toBe(l.v);
    expect(r.v.a).toBe(long);
  });

  it("shares nothing without the option (observability rewrites what it reads in place)", () => {
    const [a, b] = values(`${deployment("a")}\n---\n${deployment("b")}`, new StringTable());
    expect(b.spec.selector).not.toBe(a.spec.selector);
    expect(Object.isFrozen(a.spec.selector)).toBe(false);
  });
});
