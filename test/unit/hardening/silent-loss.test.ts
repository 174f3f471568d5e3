// Class "silent loss": step 5 deletes what translate lists in `replaces`, so a source whose
// behaviour the output does not carry must come with an error entry and never be replaced.

import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { KubeObject } from "../../../src/inventory/model.js";
import { translate } from "../../../src/translate/index.js";
import { inventoryOf, SERVICE, virtualService } from "./helpers.js";

function translateVs(spec: string) {
  const { inventory, problems } = inventoryOf(SERVICE, virtualService(spec));
  expect(problems).toEqual([]);
  return translate(inventory, ["shop"]);
}

/** As translateVs, with the schema check skipped: the translator must hold on its own too. */
function translateUnchecked(spec: string) {
  const { inventory } = inventoryOf(SERVICE);
  inventory.add(parse(virtualService(spec)) as KubeObject);
  return translate(inventory, ["shop"]);
}

const errors = (r: ReturnType<typeof translateVs>) => r.report.filter((e) => e.level === "error");
const routes = (r: ReturnType<typeof translateVs>) => r.objects.filter((o) => o.kind === "HTTPRoute");

describe("silent loss", () => {
  it("a match port that is not a number is an error, never an empty HTTPRoute that replaces the source", () => {
    const spec = `
hosts: [web]
http:
- match: [{port: http, uri: {prefix: /a}}]
  route: [{destination: {host: web}}]
`;
    // The schema check keeps the object out (invalid-object); the translator refuses it as well.
    for (const r of [translateVs(spec), translateUnchecked(spec)]) {
      expect(errors(r).map((e) => e.field)).toContain("spec.http[0].match[0].port");
      expect(r.replaces).toEqual([]);
      expect(routes(r)).toEqual([]);
    }
  });

  it("(unchecked) a match port out of range is an error", () => {
    const r = translateUnchecked(`
hosts: [web]
http:
- match: [{port: 0, uri: {prefix: /a}}]
  route: [{destination: {host: web}}]
`);
    expect(errors(r).map((e) => e.field)).toContain("spec.http[0].match[0].port");
    expect(r.replaces).toEqual([]);
    for (const route of routes(r)) expect(route.spec.rules.length).toBeGreaterThan(0);
  });

  it("per-match gateways on a [gw, mesh] VirtualService: only the mesh-applicable matches are translated", () => {
    const r = translateVs(`
hosts: [web]
gateways: [shop-gw, mesh]
http:
- match: [{gateways: [shop-gw]}, {uri: {exact: /static}}]
  route: [{destination: {host: web}}]
`);
    const [route] = routes(r);
    expect(route?.spec.rules).toHaveLength(1);
    expect(route?.spec.rules[0].matches).toEqual([{ path: { type: "Exact", value: "/static" } }]);
    expect(r.report.find((e) => e.field === "spec.http[0].match[0].gateways")?.level).toBe("info");
  });

  it("per-match gateways: a rule only for other gateways is not a mesh rule; none left is an error", () => {
    const r = translateVs(`
hosts: [web]
gateways: [shop-gw, mesh]
http:
- match: [{gateways: [shop-gw], uri: {prefix: /admin}}]
  route: [{destination: {host: api}}]
`);
    expect(routes(r)).toEqual([]);
    expect(errors(r).map((e) => e.field)).toEqual(["spec.http"]);
    expect(r.replaces).toEqual([]);
  });

  it("retries attempts 0 (no retries) has no equivalent: an error, never retry.attempts 0", () => {
    const r = translateVs(`
hosts: [web]
http:
- route: [{destination: {host: web}}]
  retries: {attempts: 0}
`);
    expect(errors(r).map((e) => e.field)).toEqual(["spec.http[0].retries.attempts"]);
    expect(JSON.stringify(r.objects)).not.toContain('"attempts":0');
    expect(r.replaces).toEqual([]);
  });

  it("out-of-range ports, weights and durations are errors, never copied through", () => {
    const r = translateVs(`
hosts: [web]
http:
- match: [{port: 70000}]
  route: [{destination: {host: web}}]
- route:
  - {destination: {host: web}, weight: -50}
  - {destination: {host: api}, weight: 1e300}
- route: [{destination: {host: web, port: {number: 0}}}]
- route: [{destination: {host: api}}]
  timeout: 99999999999h
`);
    const fields = errors(r).map((e) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        "spec.http[0].match[0].port",
        "spec.http[1].route[0].weight",
        "spec.http[1].route[1].weight",
        "spec.http[2].route[0].destination.port.number",
        "spec.http[3].timeout",
      ]),
    );
    const text = JSON.stringify(r.objects);
    expect(text).not.toMatch(/70000|-50|1e\+300|99999999999/);
    expect(r.replaces).toEqual([]);
  });
});
