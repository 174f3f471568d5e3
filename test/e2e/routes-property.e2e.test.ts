// Two oracles that must agree (issue 10): generated VirtualServices (the pure property test's
// generator) are applied to the testbed with the tool's translation; verify-routes reads the
// route tables istiod really sends to a sidecar client and to the waypoint, and for every
// request it evaluates, its decision on each side must be the one the pure oracle
// (test/unit/translate/semantics.ts, written from the specs) computes from the VirtualService
// and from the HTTPRoutes as the apiserver stored them.

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/inventory/model.js";
import { httpRoutesPick, type Request, virtualServicePick } from "../unit/translate/semantics.js";
import { virtualServiceArb } from "../unit/translate/vs-arbitrary.js";
import {
  apply,
  cli,
  createNamespace,
  deleteNamespaces,
  kubectl,
  kubectlJson,
  sidecarClient,
  waitForWaypoint,
} from "./harness.js";

const SAMPLES = Number(process.env.ROUTES_PROPERTY_SAMPLES ?? 50);
const PORT = 8080;

/** The generated VirtualService for host cart, made the one of Service cart-<i>. */
function forService(vs: KubeObject, host: string, ns: string): KubeObject {
  const text = JSON.stringify(vs.spec).replaceAll('"host":"cart"', `"host":"${host}"`);
  return {
    ...vs,
    metadata: { name: host, namespace: ns },
    spec: { ...JSON.parse(text), hosts: [host] },
  };
}

function serviceObjects(host: string, ns: string): KubeObject[] {
  return [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: host, namespace: ns },
      spec: { selector: { app: host }, ports: [{ name: "http", port: PORT }] },
    },
    {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: host, namespace: ns },
      spec: { host, subsets: ["v1", "v2", "v3"].map((name) => ({ name, labels: { version: name } })) },
    },
  ];
}

/** verify-routes' request key: "METHOD PATH name=value ...". */
function parseRequest(key: string): Request {
  const [method = "", path = "", ...headers] = key.split(" ");
  return {
    method,
    path,
    headers: Object.fromEntries(
      headers.map((h) => [h.slice(0, h.indexOf("=")), h.slice(h.indexOf("=") + 1)]),
    ),
  };
}

/** verify-routes' destinations (its effect text) as destination → percent; "404" for no route. */
function destinationsOf(effect: string): Record<string, number> | "404" {
  if (effect === "no route (404)") return "404";
  const out: Record<string, number> = {};
  for (const part of effect.split(", ")) {
    const m = /^((?:selector|pods) \S+?)(?: (\d+(?:\.\d+)?)%)?$/.exec(part);
    if (m?.[1]) out[m[1]] = Number(m[2] ?? 100);
  }
  return out;
}

/** The pure oracle's "backend=weight" list in the same terms: selectors and percents. */
function asDestinations(
  picked: string[] | "404",
  selectorOf: (backend: string) => string,
): Record<string, number> | "404" {
  if (picked === "404") return "404";
  const pairs = picked.map(
    (p) => [p.slice(0, p.lastIndexOf("=")), Number(p.slice(p.lastIndexOf("=") + 1))] as const,
  );
  const total = pairs.reduce((sum, [, w]) => sum + w, 0);
  return Object.fromEntries(pairs.map(([b, w]) => [selectorOf(b), Math.round((10_000 * w) / total) / 100]));
}

interface Verdict {
  name: string;
  result: string;
  requests: { request: string; sidecar: string; waypoint: string; differs: string[] }[];
  problems: string[];
}

describe("verify-routes and the pure oracle agree on generated VirtualServices", () => {
  let ns: string;
  const sources = new Map<string, KubeObject>();
  let regexEncoded = 0;

  beforeAll(async () => {
    ns = await createNamespace("routes-prop");
    const clientNs = await createNamespace("routes-prop-client", { "istio-injection": "enabled" });
    const generated = fc.sample(virtualServiceArb, { numRuns: SAMPLES, seed: 20261201 });
    const objects: KubeObject[] = [];
    generated.forEach((vs, i) => {
      const host = `cart-${i}`;
      const source = forService(vs, host, ns);
      sources.set(host, source);
      objects.push(...serviceObjects(host, ns), source);
    });
    await apply(objects.map((o) => JSON.stringify(o)).join("\n---\n"), ns);
    await apply(sidecarClient, clientNs);
    const translated = await cli(["translate", "-n", ns]);
    expect(translated.code, translated.stderr).toBe(0);
    // The sample exercises both order repairs, checked here against istiod's real tables.
    regexEncoded = translated.stderr.split("written as a RegularExpression path").length - 1;
    expect(regexEncoded).toBeGreaterThanOrEqual(Math.ceil(SAMPLES / 10));
    expect(translated.stderr).toContain("added match");
    await apply(translated.stdout, ns);
    await kubectl(["label", "namespace", ns, "istio.io/use-waypoint=waypoint", "--overwrite"]);
    await waitForWaypoint(ns);
    await kubectl([
      "wait",
      "-n",
      clientNs,
      "pods",
      "-l",
      "app=client",
      "--for=condition=Ready",
      "--timeout=180s",
    ]);
  }, 600_000);
  afterAll(deleteNamespaces);

  it(`on every request of ${SAMPLES} VirtualServices, both tables decide as the pure oracle says`, async () => {
    // istiod pushes asynchronously: read until every Service verifies, or the deadline.
    let services: Verdict[] = [];
    const deadline = Date.now() + 300_000;
    for (;;) {
      const r = await cli(["verify-routes", "-n", ns, "-o", "json"]);
      services = r.stdout ? (JSON.parse(r.stdout).services as Verdict[]) : [];
      const complete = services.length === SAMPLES && services.every((s) => s.result !== "unverified");
      if ((r.code === 0 && complete) || Date.now() > deadline) break;
      await new Promise((done) => setTimeout(done, 2000));
    }

    const stored = await kubectlJson<{ items: KubeObject[] }>(["get", "httproutes", "-n", ns, "-o", "json"]);
    const storedServices = await kubectlJson<{ items: KubeObject[] }>([
      "get",
      "services",
      "-n",
      ns,
      "-o",
      "json",
    ]);
    const selectorOf = (name: string) => {
      const svc = storedServices.items.find((s) => s.metadata.name === name);
      const selector = Object.entries((svc?.spec?.selector ?? {}) as Record<string, string>)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      return `selector ${ns}/{${selector}}:${PORT}`;
    };
    const subsetName = (host: string, subset: string) => `${host}-${subset}`;

    expect(services.map((s) => s.name).sort()).toEqual([...sources.keys()].sort());
    let requests = 0;
    const disagreements: string[] = [];
    for (const service of services) {
      const vs = sources.get(service.name) as KubeObject;
      const routes = stored.items.filter((r) =>
        (r.spec?.parentRefs ?? []).some((p: { name: string }) => p.name === service.name),
      );
      expect(service.problems, service.name).toEqual([]);
      expect(service.requests.length, service.name).toBeGreaterThan(0);
      for (const outcome of service.requests) {
        requests++;
        const req = parseRequest(outcome.request);
        const vsSide = asDestinations(virtualServicePick(vs, req, subsetName), (backend) =>
          /-v\d$/.test(backend) ? subsetTarget(ns, backend) : selectorOf(backend),
        );
        const routeSide = asDestinations(httpRoutesPick(routes, req), selectorOf);
        const seen = { sidecar: destinationsOf(outcome.sidecar), waypoint: destinationsOf(outcome.waypoint) };
        const oracleDiffers = JSON.stringify(sortKeys(vsSide)) !== JSON.stringify(sortKeys(routeSide));
        const problems = [
          JSON.stringify(sortKeys(seen.sidecar)) !== JSON.stringify(sortKeys(vsSide))
            ? `sidecar ${outcome.sidecar} vs oracle ${JSON.stringify(vsSide)}`
            : "",
          JSON.stringify(sortKeys(seen.waypoint)) !== JSON.stringify(sortKeys(routeSide))
            ? `waypoint ${outcome.waypoint} vs oracle ${JSON.stringify(routeSide)}`
            : "",
          oracleDiffers !== outcome.differs.includes("destinations")
            ? `verify-routes differs ${JSON.stringify(outcome.differs)}, oracle ${oracleDiffers ? "differs" : "same"}`
            : "",
        ].filter(Boolean);
        if (problems.length > 0)
          disagreements.push(
            `${service.name} ${outcome.request}: ${problems.join("; ")}\n  ${JSON.stringify(vs.spec)}`,
          );
      }
    }
    console.log(
      `two oracles: ${services.length} Services (${regexEncoded} with the regex encoding), ${requests} requests read from istiod's tables; ${disagreements.length} disagreements`,
    );
    expect(disagreements.slice(0, 10)).toEqual([]);
    // And the translation itself: every generated VirtualService routes the same on the waypoint.
    expect(services.filter((s) => s.result !== "same").map((s) => `${s.name}: ${s.result}`)).toEqual([]);
  }, 600_000);
});

/** The pods subset v<n> of cart-<i> selects: the Service's selector plus the subset's labels. */
function subsetTarget(ns: string, backend: string): string {
  const m = /^(cart-\d+)-(v\d)$/.exec(backend);
  return `selector ${ns}/{app=${m?.[1]},version=${m?.[2]}}:${PORT}`;
}

function sortKeys(d: Record<string, number> | "404"): unknown {
  return d === "404" ? d : Object.fromEntries(Object.entries(d).sort(([a], [b]) => (a < b ? -1 : 1)));
}
