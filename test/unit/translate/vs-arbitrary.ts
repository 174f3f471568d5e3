// Generated mesh VirtualServices (cart with subsets v1..v3 behind a DestinationRule) and
// requests: shared by the pure property test and the e2e property test on the testbed.

import fc from "fast-check";
import { Inventory, type KubeObject } from "../../../src/inventory/model.js";
import type { Request } from "./semantics.js";

export const NS = "shop";
const SEGMENTS = ["a", "ab", "b", "A"];
const pathArb = fc
  .array(fc.constantFrom(...SEGMENTS), { minLength: 0, maxLength: 3 })
  .chain((segs) => fc.constantFrom(`/${segs.join("/")}`, `/${segs.join("/")}/`, `/${segs.join("")}`));
const prefixArb = fc.oneof(pathArb, fc.constantFrom("/", "/a", "/a/", "/ab", "/a/b"));
const regexArb = fc.constantFrom("/a.*", "/[ab]+", "/b/.*", "/(a|b)/?", ".*b");
const uriArb = fc.oneof(
  pathArb.map((exact) => ({ exact })),
  prefixArb.map((prefix) => ({ prefix })),
  regexArb.map((regex) => ({ regex })),
);
const headerValueArb = fc.oneof(
  fc.constantFrom("1", "2", "12").map((exact) => ({ exact })),
  fc.constantFrom("1", "2").map((prefix) => ({ prefix })),
  fc.constantFrom("[12]", "2+").map((regex) => ({ regex })),
);
const matchArb = fc.record(
  {
    uri: uriArb,
    ignoreUriCase: fc.boolean(),
    method: fc.constantFrom("GET", "POST").map((exact) => ({ exact })),
    headers: fc.dictionary(fc.constantFrom("x-user", "X-Env"), headerValueArb, { maxKeys: 2 }),
  },
  { requiredKeys: [] },
);
const destinationsArb = fc.oneof(
  fc.constantFrom("v1", "v2", "v3").map((subset) => [{ destination: { host: "cart", subset } }]),
  fc
    .tuple(fc.constantFrom("v1", "v2"), fc.constantFrom("v3"), fc.integer({ min: 1, max: 99 }))
    .map(([a, b, w]) => [
      { destination: { host: "cart", subset: a }, weight: w },
      { destination: { host: "cart", subset: b }, weight: 100 - w },
    ]),
);
const ruleArb = fc.record({
  match: fc.option(fc.array(matchArb, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  route: destinationsArb,
});
export const virtualServiceArb = fc.array(ruleArb, { minLength: 1, maxLength: 6 }).map(
  (http): KubeObject => ({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "cart", namespace: NS },
    spec: { hosts: ["cart"], http: http.map((r) => (r.match ? r : { route: r.route })) },
  }),
);
export const requestArb: fc.Arbitrary<Request> = fc.record({
  path: fc.oneof(pathArb, fc.constantFrom("/", "/abc", "/a/b/c", "/ba", "/B")),
  method: fc.constantFrom("GET", "POST", "PUT"),
  headers: fc.dictionary(fc.constantFrom("x-user", "x-env"), fc.constantFrom("1", "2", "12", "22", "3"), {
    maxKeys: 2,
  }),
});

export function inventoryWith(vs: KubeObject): Inventory {
  const inventory = new Inventory({ type: "files", paths: [] });
  inventory.add({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "cart", namespace: NS },
    spec: { selector: { app: "cart" }, ports: [{ name: "http", port: 8080 }] },
  });
  inventory.add({
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: "cart", namespace: NS },
    spec: { host: "cart", subsets: ["v1", "v2", "v3"].map((name) => ({ name, labels: { version: name } })) },
  });
  inventory.add(vs);
  return inventory;
}
