// Fuzz: valid objects mutated at a random field (type swaps, nulls, huge and negative numbers,
// hostile regexes and paths, control characters, deep nesting) go through the manifest reader
// (YAML text, schema check), assess, plan and translate. Nothing may throw but a reading error
// (AmbientMigrateError, exit 4); a hang fails the test by its timeout.
// `npm test` runs a few hundred cases; `npm run test:fuzz` runs FUZZ_RUNS (20,000 by default).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { assess } from "../../../src/assess/assess.js";
import { buildPlan } from "../../../src/plan/build.js";
import { translate } from "../../../src/translate/index.js";
import { inventoryOf } from "./helpers.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

const SEEDS: Record<string, unknown>[] = [
  {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "shop", labels: { "istio-injection": "enabled" } },
  },
  {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "shop" },
    spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
  },
  {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web", version: "v1" } },
        spec: { containers: [{ name: "web", image: "web:1", ports: [{ containerPort: 8080 }] }] },
      },
    },
  },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "web", namespace: "shop" },
    spec: {
      hosts: ["web"],
      http: [
        {
          match: [{ uri: { regex: "/api/.*" }, headers: { x: { exact: "1" } }, port: 80 }],
          route: [
            { destination: { host: "web", subset: "v1" }, weight: 90 },
            { destination: { host: "web", subset: "v2" }, weight: 10 },
          ],
          retries: { attempts: 3, perTryTimeout: "2s" },
          timeout: "10s",
          headers: { request: { set: { a: "b" }, remove: ["x-y"] } },
        },
        { match: [{ uri: { exact: "/static" } }], route: [{ destination: { host: "web" } }] },
      ],
    },
  },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: "web", namespace: "shop" },
    spec: {
      host: "web",
      subsets: [
        { name: "v1", labels: { version: "v1" } },
        { name: "v2", labels: { version: "v2" }, trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } },
      ],
    },
  },
  {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: "web", namespace: "shop" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      action: "ALLOW",
      rules: [
        {
          from: [{ source: { principals: ["cluster.local/ns/shop/sa/api"] } }],
          to: [{ operation: { methods: ["GET"], paths: ["/api/*"] } }],
        },
      ],
    },
  },
];

/** Every path to a value in the object, as keys and indexes. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...paths(v, [...prefix, i]));
  } else if (typeof value === "object" && value !== null)
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = value;
  return copy;
}

const nested = (depth: number, leaf: unknown): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

const hostile = fc.constantFrom(
  "(a+)+b",
  "(a|aa)+$",
  "((a*)*)*$",
  "[",
  "../../../etc/x",
  "/abs",
  "a\u0000b",
  "\u001b[2J",
  "99999999999h",
  "-1s",
  "ten",
  "GET",
  "app=web",
  "",
  "x".repeat(5000),
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.constantFrom(0, -1, -50, 70000, 1e300, -1e300, 2 ** 53, 0.5),
  hostile,
  fc.string(),
  fc.array(fc.oneof(fc.constant(null), hostile, fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom("a", "exact", "prefix", "regex", "name", "host"), hostile, { maxKeys: 3 }),
  fc.integer({ min: 20, max: 130 }).map((d) => nested(d, "x")),
);

/** One mutated seed object, plus the unmutated others, as YAML files. */
const mutatedMesh = fc
  .tuple(fc.nat(SEEDS.length - 1), fc.nat(), anyValue, fc.array(fc.nat(SEEDS.length - 1), { maxLength: 2 }))
  .map(([which, pick, value, dropped]) => {
    const seed = SEEDS[which];
    const all = paths(seed).filter((p) => p.length > 0);
    const path = all[pick % all.length] ?? [];
    const objects = SEEDS.map((s, i) => (i === which ? setAt(s, path, value) : s)).filter(
      (_, i) => i === which || !dropped.includes(i),
    );
    return { path: `${seed?.kind}.${path.join(".")}`, yaml: objects.map((o) => stringify(o)).join("---\n") };
  });

type Outcome = "refused" | "invalid-object" | "read";

/** Reads the text as `-f` does (problems are what would exit 4), then assesses, plans, translates. */
function run(yaml: string): Outcome {
  const { inventory, problems } = inventoryOf(yaml);
  if (problems.length > 0) return "refused";
  const namespaces = inventory.namespaceNames();
  const assessment = assess(inventory, namespaces);
  buildPlan(inventory, assessment, { acceptTranslationLosses: true });
  translate(inventory, namespaces);
  return inventory.invalid.length > 0 ? "invalid-object" : "read";
}

describe("fuzz: mutated objects through reader, assess, plan and translate", () => {
  it(`${RUNS} mutations: no crash, no hang`, { timeout: Math.max(60_000, RUNS * 50) }, () => {
    const outcomes: Record<Outcome, number> = { refused: 0, "invalid-object": 0, read: 0 };
    const started = performance.now();
    fc.assert(
      fc.property(mutatedMesh, ({ yaml }) => {
        outcomes[run(yaml)]++;
      }),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    console.log(`fuzz: ${RUNS} runs in ${Math.round(performance.now() - started)} ms:`, outcomes);
    // The mutations reach every outcome: refused texts, schema failures and objects reasoned about.
    for (const count of Object.values(outcomes)) expect(count).toBeGreaterThan(0);
  });
});
