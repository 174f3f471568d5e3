import { describe, expect, it } from "vitest";
import { MeshContext, NamespaceContext } from "../../../src/assess/context.js";
import { namespaceStatuses, renderStatus } from "../../../src/cli/actions/status.js";
import {
  bypassExemptions,
  bypassShrinks,
  hboneAllowPolicies,
  ingressLabelTargets,
} from "../../../src/plan/traffic-safety.js";
import { inventoryOf, namespaceYaml } from "../assess/helpers.js";
import {
  APP_NS,
  BLOCKING_NP,
  deployment,
  INGRESS_VS,
  L7_POLICY,
  service,
} from "../assess/traffic-safety-cases.js";

const ctxOf = (yaml: string, ns = "app") =>
  new NamespaceContext(new MeshContext(inventoryOf(yaml, "app")), ns);

describe("step 1: ingress-use-waypoint on ingress backends", () => {
  it("labels backends without a value of their own, not headless ones, not under a namespace true", () => {
    const yaml =
      APP_NS + deployment("web") + service("web") + service("db", "  clusterIP: None\n") + L7_POLICY;
    const toDb = INGRESS_VS.replace("name: public", "name: db-admin").replace("host: web", "host: db");
    expect(ingressLabelTargets(ctxOf(yaml + INGRESS_VS + toDb)).map((s) => s.metadata.name)).toEqual(["web"]);
    const nsTrue = namespaceYaml("app", {
      "istio-injection": "enabled",
      "istio.io/ingress-use-waypoint": "true",
    });
    expect(ingressLabelTargets(ctxOf(nsTrue + yaml.slice(APP_NS.length) + INGRESS_VS))).toEqual([]);
    const own = service("web").replace(
      "  name: web\n",
      '  name: web\n  labels:\n    istio.io/ingress-use-waypoint: "false"\n',
    );
    expect(ingressLabelTargets(ctxOf(APP_NS + deployment("web") + own + L7_POLICY + INGRESS_VS))).toEqual([]);
  });
});

describe("step 2: the tool's NetworkPolicy for HBONE and probes", () => {
  it("allows what the blocking policy lacks, for the same pods, owned by the tool", () => {
    const [planned] = hboneAllowPolicies(ctxOf(APP_NS + deployment("web") + BLOCKING_NP));
    expect(planned?.reason).toBe(
      "NetworkPolicy web-only-8080 lets no HBONE (TCP 15008) in, HBONE (TCP 15008) out, kubelet probes from 169.254.7.127: allowed for the same pods",
    );
    expect(planned?.object).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: {
        name: "web-only-8080-ambient-hbone",
        namespace: "app",
        labels: { "app.kubernetes.io/managed-by": "ambient-migrate" },
        annotations: { "ambient-migrate/allows-for": "NetworkPolicy/web-only-8080" },
      },
      spec: {
        podSelector: { matchLabels: { app: "web" } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [
          { ports: [{ protocol: "TCP", port: 15008 }] },
          {
            from: [
              { ipBlock: { cidr: "169.254.7.127/32" } },
              { ipBlock: { cidr: "fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128" } },
            ],
          },
        ],
        egress: [{ ports: [{ protocol: "TCP", port: 15008 }] }],
      },
    });
  });
});

const BYPASS = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: get-only-bypass-deny
  namespace: api
  labels:
    app.kubernetes.io/managed-by: ambient-migrate
  resourceVersion: "42"
spec:
  selector:
    matchLabels:
      app: api
  action: DENY
  rules:
  - from:
    - source:
        notPrincipals:
        - cluster.local/ns/api/sa/waypoint
        - cluster.local/ns/batch/sa/job
        - cluster.local/ns/web/sa/frontend
        - cluster.local/ns/web/sa/admin
---
`;

describe("step 4: the bypass list shrinks as callers migrate", () => {
  it("removes a migrated namespace's service accounts, keeps the waypoint and other callers", () => {
    const inventory = inventoryOf(namespaceYaml("api") + BYPASS, "api");
    const [shrink] = bypassShrinks(inventory, "web");
    expect(shrink?.removed).toEqual(["cluster.local/ns/web/sa/frontend", "cluster.local/ns/web/sa/admin"]);
    expect(shrink?.object.metadata.resourceVersion).toBeUndefined();
    expect(shrink?.object.spec.rules[0].from[0].source.notPrincipals).toEqual([
      "cluster.local/ns/api/sa/waypoint",
      "cluster.local/ns/batch/sa/job",
    ]);
    expect(shrink?.reason).toContain("web is off its sidecars");
    // Nothing to remove for a namespace the policy does not exempt, nor for its own namespace.
    expect(bypassShrinks(inventory, "other")).toEqual([]);
    expect(bypassShrinks(inventory, "api")).toEqual([]);
  });

  it("ignores DENY policies the tool does not own", () => {
    const foreign = BYPASS.replace("    app.kubernetes.io/managed-by: ambient-migrate\n", "    team: sec\n");
    expect(bypassShrinks(inventoryOf(foreign, "api"), "web")).toEqual([]);
  });
});

describe("status: sidecar callers still exempt", () => {
  it("lists them per namespace and marks stale exemptions", () => {
    const yaml =
      namespaceYaml("api") +
      namespaceYaml("batch", { "istio-injection": "enabled" }) +
      namespaceYaml("web", { "istio.io/dataplane-mode": "ambient" }) +
      deployment("job", "batch") +
      BYPASS;
    const inventory = inventoryOf(yaml, "api");
    expect(bypassExemptions(inventory, "api")).toEqual(["batch", "web"]);
    const statuses = namespaceStatuses(inventory, ["api", "web"]);
    expect(statuses.map((s) => s.bypassExempt)).toEqual([["batch", "web (no sidecars left)"], []]);
    expect(renderStatus(statuses).split("\n")[0]).toContain("SIDECAR CALLERS EXEMPT FROM BYPASS DENY");
    expect(renderStatus(statuses).split("\n")[1]).toMatch(/ {3}batch, web \(no sidecars left\)$/);
  });
});
