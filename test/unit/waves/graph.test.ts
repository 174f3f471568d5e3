import { describe, expect, it } from "vitest";
import { CallGraph, callGraphOf, namespaceOfPrincipal } from "../../../src/waves/graph.js";
import { planWaves } from "../../../src/waves/order.js";
import { inventoryOf } from "../assess/helpers.js";

const edges = (yaml: string) =>
  callGraphOf(inventoryOf(yaml, "app"), "istio-system")
    .all()
    .map((e) => `${e.from}->${e.to}: ${e.evidence.join(" | ")}`);

describe("the call graph from configuration", () => {
  it("reads ALLOW policies' principals, namespaces and source conditions, not DENY or root-namespace ones", () => {
    const yaml = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow, namespace: api}
spec:
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/web/sa/frontend", "*"]
        namespaces: ["batch", "team-*"]
    when:
    - key: source.namespace
      values: ["cron"]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny, namespace: api}
spec:
  action: DENY
  rules:
  - from:
    - source: {namespaces: ["evil"]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: mesh-wide, namespace: istio-system}
spec:
  rules:
  - from:
    - source: {namespaces: ["web"]}
`;
    expect(edges(yaml)).toEqual([
      "batch->api: AuthorizationPolicy api/allow allows namespace batch",
      "cron->api: AuthorizationPolicy api/allow allows source.namespace cron",
      "web->api: AuthorizationPolicy api/allow allows principal cluster.local/ns/web/sa/frontend",
    ]);
  });

  it("reads consumer routes, GAMMA routes, ingress routes, ServiceEntry endpoints and exportTo, Sidecar egress", () => {
    const yaml = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: to-api, namespace: web}
spec:
  hosts: [api.api.svc.cluster.local]
  http:
  - route:
    - destination: {host: api.api.svc.cluster.local}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: public, namespace: web}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/public]
  http:
  - route:
    - destination: {host: frontend}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: canary, namespace: batch}
spec:
  parentRefs:
  - {group: "", kind: Service, name: api, namespace: api}
  rules:
  - backendRefs:
    - {name: api-v2, namespace: api, port: 80}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: legacy, namespace: batch}
spec:
  hosts: [legacy.internal]
  exportTo: [".", "web"]
  endpoints:
  - address: ledger.payments.svc.cluster.local
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: web}
spec:
  egress:
  - hosts: ["./*", "istio-system/*", "payments/ledger.payments.svc.cluster.local"]
`;
    expect(edges(yaml)).toEqual([
      "batch->api: HTTPRoute batch/canary is a consumer route for Service api/api | HTTPRoute batch/canary sends to Service api/api-v2",
      "batch->payments: ServiceEntry batch/legacy has endpoint ledger.payments.svc.cluster.local",
      "istio-system->web: VirtualService web/public on Gateway istio-system/public routes to Service web/frontend",
      "web->api: VirtualService web/to-api routes to Service api/api",
      "web->batch: ServiceEntry batch/legacy is exported to web",
      "web->istio-system: Sidecar web/default egress lists istio-system/*",
      "web->payments: Sidecar web/default egress lists payments/ledger.payments.svc.cluster.local",
    ]);
  });

  it("adds observed traffic as evidence", () => {
    const graph = callGraphOf(inventoryOf("", "app"), "istio-system", [
      { from: "web", to: "api", what: ["10 requests in 7d", "2 TCP connections in 7d"] },
    ]);
    expect(graph.callersOf("api")).toEqual([
      { from: "web", to: "api", evidence: ["observed: 10 requests in 7d, 2 TCP connections in 7d"] },
    ]);
  });

  it("reads the namespace of a principal", () => {
    expect(namespaceOfPrincipal("cluster.local/ns/web/sa/frontend")).toBe("web");
    expect(namespaceOfPrincipal("*/ns/web/sa/*")).toBe("web");
    expect(namespaceOfPrincipal("cluster.local/ns/*/sa/x")).toBeUndefined();
    expect(namespaceOfPrincipal("spiffe-less")).toBeUndefined();
  });
});

const graphOf = (...pairs: [string, string][]) => {
  const g = new CallGraph();
  for (const [from, to] of pairs) g.add(from, to, `${from} calls ${to}`);
  return g;
};

describe("waves", () => {
  it("puts callers before the namespaces they call, each wave with its reasons", () => {
    const waves = planWaves(graphOf(["web", "api"], ["api", "db"], ["web", "db"]), [
      "db",
      "api",
      "web",
      "tools",
    ]);
    expect(waves.map((w) => [w.wave, w.namespaces])).toEqual([
      [1, ["tools", "web"]],
      [2, ["api"]],
      [3, ["db"]],
    ]);
    expect(waves[0]?.why).toEqual([
      "tools: no namespace of the plan calls it or is called by it",
      "web: no namespace of the plan calls it; it calls api, db, which follow",
    ]);
    expect(waves[2]?.why).toEqual([
      "db after its caller api (wave 2): api calls db",
      "db after its caller web (wave 1): web calls db",
    ]);
  });

  it("moves namespaces that call each other in one wave, after their callers", () => {
    const waves = planWaves(graphOf(["edge", "a"], ["a", "b"], ["b", "c"], ["c", "a"], ["c", "z"]), [
      "a",
      "b",
      "c",
      "edge",
      "z",
    ]);
    expect(waves.map((w) => [w.wave, w.namespaces])).toEqual([
      [1, ["edge"]],
      [2, ["a", "b", "c"]],
      [3, ["z"]],
    ]);
    expect(waves[1]?.why[0]).toBe(
      "a, b, c call each other, so they move together: a -> b (a calls b); b -> c (b calls c); c -> a (c calls a)",
    );
  });

  it("says which callers stay on sidecars, and ignores edges to namespaces outside the plan", () => {
    const waves = planWaves(graphOf(["legacy", "api"], ["api", "outside"]), ["api"], new Set(["legacy"]));
    expect(waves).toEqual([
      {
        wave: 1,
        namespaces: ["api"],
        why: [
          "api is also called by legacy, which keeps its sidecars for now: its requests skip api's waypoint until it migrates (legacy calls api)",
          "api: no namespace of the plan calls it or is called by it",
        ],
      },
    ]);
  });

  it("orders a long chain without running out of stack", () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `ns-${String(i).padStart(5, "0")}`);
    const g = new CallGraph();
    for (let i = 1; i < names.length; i++) g.add(names[i - 1]!, names[i]!, "chain");
    const waves = planWaves(g, names);
    expect(waves).toHaveLength(names.length);
    expect(waves.at(-1)?.namespaces).toEqual([names.at(-1)]);
  }, 30_000);
});
