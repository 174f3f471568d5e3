import { describe, expect, it } from "vitest";
import { assess } from "../../../src/assess/assess.js";
import { parseBool } from "../../../src/assess/checks/traffic-safety.js";
import type { Finding } from "../../../src/assess/finding.js";
import { findingsOf, inventoryOf, namespaceYaml } from "./helpers.js";
import {
  APP_NS,
  BLOCKING_NP,
  CLIENT_NS,
  deployment,
  INGRESS_VS,
  L7_POLICY,
  NARROW_SERVICE_ENTRY,
  STRICT_WITH_PERMISSIVE_PORT,
  service,
} from "./traffic-safety-cases.js";

const only = (findings: Finding[], code: string) => findings.filter((f) => f.code === code);

describe("ingress-bypasses-waypoint", () => {
  const base = APP_NS + deployment("web") + L7_POLICY + INGRESS_VS;

  it("is silent when the Service or the namespace already sends ingress through the waypoint", () => {
    const labelled = service("web").replace(
      "  name: web\n",
      '  name: web\n  labels:\n    istio.io/ingress-use-waypoint: "True"\n',
    );
    expect(only(findingsOf(base + labelled), "ingress-bypasses-waypoint")).toEqual([]);
    const nsLabelled = namespaceYaml("app", {
      "istio-injection": "enabled",
      "istio.io/ingress-use-waypoint": "1",
    });
    expect(
      only(findingsOf(nsLabelled + base.slice(APP_NS.length) + service("web")), "ingress-bypasses-waypoint"),
    ).toEqual([]);
  });

  it("reports an explicit false on the Service (which wins over the namespace) without planning a change", () => {
    const nsLabelled = namespaceYaml("app", {
      "istio-injection": "enabled",
      "istio.io/ingress-use-waypoint": "true",
    });
    const off = service("web").replace(
      "  name: web\n",
      '  name: web\n  labels:\n    istio.io/ingress-use-waypoint: "false"\n',
    );
    const [f] = only(findingsOf(nsLabelled + base.slice(APP_NS.length) + off), "ingress-bypasses-waypoint");
    expect(f?.message).toContain("is labelled istio.io/ingress-use-waypoint=false");
    expect(f?.remedy).toContain("leaves the explicit value alone");
  });

  it("is silent when the namespace gets no waypoint", () => {
    const yaml = APP_NS + deployment("web") + service("web") + INGRESS_VS;
    expect(only(findingsOf(yaml), "ingress-bypasses-waypoint")).toEqual([]);
  });

  it("sees HTTPRoutes on ingress Gateways, not on waypoints, and headless backends", () => {
    const route = (gateway: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: via-${gateway}
  namespace: app
spec:
  parentRefs:
  - name: ${gateway}
    namespace: ingress
  rules:
  - backendRefs:
    - name: web
      port: 8080
---
`;
    const gateways = `${namespaceYaml("ingress")}apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
  namespace: ingress
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: waypoint
  namespace: ingress
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
---
`;
    const yaml =
      APP_NS +
      deployment("web") +
      service("web") +
      L7_POLICY +
      gateways +
      route("public") +
      route("waypoint");
    const found = only(findingsOf(yaml, ["app"]), "ingress-bypasses-waypoint");
    expect(found.map((f) => f.message)).toEqual([
      expect.stringContaining("backend of HTTPRoute app/via-public on Gateway ingress/public;"),
    ]);
    const headless =
      APP_NS + deployment("web") + service("web", "  clusterIP: None\n") + L7_POLICY + INGRESS_VS;
    expect(only(findingsOf(headless), "ingress-bypasses-waypoint")[0]?.message).toContain(
      "cannot send ingress traffic for a Service without a cluster IP",
    );
  });

  it("reads the label as Go's ParseBool does", () => {
    expect(["1", "t", "T", "TRUE", "true", "True"].map(parseBool)).toEqual(Array(6).fill(true));
    expect(["0", "f", "FALSE", "False"].map(parseBool)).toEqual(Array(4).fill(false));
    expect(parseBool("yes")).toBeUndefined();
  });
});

describe("network-policy-blocks-hbone", () => {
  const np = (spec: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np
  namespace: app
spec:
${spec}
---
`;
  const check = (spec: string) =>
    only(findingsOf(APP_NS + deployment("web") + np(spec)), "network-policy-blocks-hbone");

  it("names each gap: HBONE in, HBONE out, probes", () => {
    const [f] = only(findingsOf(APP_NS + deployment("web") + BLOCKING_NP), "network-policy-blocks-hbone");
    expect(f?.message).toContain("its ingress rules let no TCP 15008 (HBONE) in");
    expect(f?.message).toContain("its egress rules let no TCP 15008 out");
    expect(f?.message).toContain("from 169.254.7.127, are not allowed in");
    expect(f?.remedy).toContain("NetworkPolicy web-only-8080-ambient-hbone");
  });

  it("accepts 15008 given as a port, a range or no ports at all, and probes from an ipBlock", () => {
    expect(
      check(
        "  podSelector: {}\n  ingress:\n  - ports:\n    - port: 15000\n      endPort: 15010\n  - from:\n    - ipBlock:\n        cidr: 169.254.0.0/16",
      ),
    ).toEqual([]);
    expect(check("  podSelector: {}\n  ingress:\n  - {}")).toEqual([]);
    expect(
      check("  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports:\n    - port: 15008"),
    ).toEqual([]);
  });

  it("reports only probes when 15008 is open but sources are restricted", () => {
    const [f] = check(
      "  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector: {}\n    ports:\n    - port: 15008\n    - port: 8080",
    );
    expect(f?.message).not.toContain("HBONE) in");
    expect(f?.message).toContain("169.254.7.127");
  });

  it("ignores policies that select none of the namespace's pods", () => {
    expect(check("  podSelector:\n    matchLabels:\n      app: other\n  ingress: []")).toEqual([]);
  });
});

describe("sidecar-callers-bypass-waypoint", () => {
  it("is silent once the caller is ambient", () => {
    const ambientClient = namespaceYaml("client", { "istio.io/dataplane-mode": "ambient" });
    const yaml =
      APP_NS + ambientClient + deployment("web") + service("web") + deployment("curl", "client") + L7_POLICY;
    expect(only(findingsOf(yaml, ["app"]), "sidecar-callers-bypass-waypoint")).toEqual([]);
  });

  it("names callers that only Prometheus saw", () => {
    const other = namespaceYaml("batch", { "istio-injection": "enabled" });
    const inventory = inventoryOf(
      APP_NS + other + deployment("web") + service("web") + deployment("job", "batch") + L7_POLICY,
      "app",
    );
    const plain = assess(inventory, ["app"]).findings;
    expect(only(plain, "sidecar-callers-bypass-waypoint")).toEqual([]);
    const observed = assess(inventory, ["app"], {
      observed: [{ from: "batch", to: "app", what: ["1200 requests in 7d"] }],
    }).findings;
    expect(only(observed, "sidecar-callers-bypass-waypoint")[0]?.message).toContain(
      "batch (observed: 1200 requests in 7d)",
    );
  });
});

describe("headless-service-sidecar-callers", () => {
  it("is silent when no other namespace runs sidecars", () => {
    const yaml = APP_NS + deployment("db") + service("db", "  clusterIP: None\n");
    expect(only(findingsOf(yaml), "headless-service-sidecar-callers")).toEqual([]);
  });

  it("names the sidecar callers the call graph knows", () => {
    const policy = L7_POLICY.replace("app: web", "app: db");
    const yaml =
      APP_NS +
      CLIENT_NS +
      deployment("db") +
      service("db", "  clusterIP: None\n") +
      deployment("curl", "client") +
      policy;
    expect(only(findingsOf(yaml, ["app"]), "headless-service-sidecar-callers")[0]?.message).toContain(
      "Sidecar callers: client",
    );
  });
});

describe("port-level-mtls-permissive", () => {
  it("finds the STRICT default in the namespace-wide policy, and is silent under PERMISSIVE", () => {
    const portOnly = STRICT_WITH_PERMISSIVE_PORT.replace("  mtls:\n    mode: STRICT\n", "");
    const nsWide = (mode: string) =>
      `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: app\nspec:\n  mtls:\n    mode: ${mode}\n---\n`;
    const [f] = only(findingsOf(APP_NS + portOnly + nsWide("STRICT")), "port-level-mtls-permissive");
    expect(f?.message).toContain("(namespace-wide PeerAuthentication default)");
    expect(only(findingsOf(APP_NS + portOnly + nsWide("PERMISSIVE")), "port-level-mtls-permissive")).toEqual(
      [],
    );
  });
});

describe("service-entry-export-to", () => {
  it("is silent for exportTo *", () => {
    const open = NARROW_SERVICE_ENTRY.replace('exportTo: ["."]', 'exportTo: ["*"]');
    expect(only(findingsOf(APP_NS + open), "service-entry-export-to")).toEqual([]);
  });

  it("says what changes where egress relies on sidecars (REGISTRY_ONLY)", () => {
    const sidecar = `apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: default\n  namespace: app\nspec:\n  outboundTrafficPolicy:\n    mode: REGISTRY_ONLY\n---\n`;
    const [f] = only(findingsOf(APP_NS + deployment("web") + sidecar), "service-entry-export-to");
    expect(f?.kind).toBe("Sidecar");
    expect(f?.message).toContain("ztunnel has no outbound traffic policy");
  });
});
