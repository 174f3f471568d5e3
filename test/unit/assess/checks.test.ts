import { describe, expect, it } from "vitest";
import { FINDING_CODES, type FindingCode } from "../../../src/assess/finding.js";
import { codes, findingsOf, fixture, namespaceYaml } from "./helpers.js";
import { TRAFFIC_SAFETY_CASES } from "./traffic-safety-cases.js";

const SIDECAR_NS = namespaceYaml("app", { "istio-injection": "enabled" });

const deployment = (name: string, templateExtra = "", podSpecExtra = "") => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
${templateExtra}
    spec:
${podSpecExtra}
      containers:
      - name: app
        image: example/app:1
---
`;

const policy = (name: string, spec: string) => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ${name}
spec:
${spec}
---
`;

/** One input per finding code that must produce it, with a phrase its message must hold. */
const CASES: Record<FindingCode, { yaml: string; phrase: string; namespaces?: string[] }> = {
  "invalid-object": {
    yaml: `${SIDECAR_NS}apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: bad\nspec:\n  host: web\n  subsets: {v1: {labels: {version: v1}}}\n`,
    phrase: "spec.subsets: expected array",
  },
  "vm-workload-entry": {
    yaml: `${SIDECAR_NS}apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata:\n  name: vm\nspec:\n  address: 10.0.0.1\n`,
    phrase: "address 10.0.0.1",
  },
  "vm-workload-group": {
    yaml: `${SIDECAR_NS}apiVersion: networking.istio.io/v1\nkind: WorkloadGroup\nmetadata:\n  name: vms\nspec:\n  template:\n    serviceAccount: vm\n`,
    phrase: "WorkloadGroup vms",
  },
  "spire-managed-workload": {
    yaml: SIDECAR_NS + deployment("curl", '        spiffe.io/spire-managed-identity: "true"'),
    phrase: "label spiffe.io/spire-managed-identity=true",
  },
  "peer-authentication-disable": {
    yaml: `${SIDECAR_NS}apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: off\nspec:\n  mtls:\n    mode: DISABLE\n`,
    phrase: "mtls.mode DISABLE",
  },
  "primary-remote-multicluster": {
    yaml: `${namespaceYaml("istio-system")}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\n  namespace: istio-system\ndata:\n  values: '{"global":{"remotePilotAddress":"10.1.2.3"}}'\n`,
    phrase: "not proof",
  },
  "namespace-state": { yaml: SIDECAR_NS, phrase: "sidecar (istio-injection=enabled)" },
  "namespace-object-missing": { yaml: deployment("web"), phrase: "labels are unknown" },
  "multicluster-signal": {
    yaml: namespaceYaml("istio-system", { "topology.istio.io/network": "net1" }),
    phrase: "topology.istio.io/network=net1",
  },
  "l7-policy-needs-waypoint": {
    yaml:
      SIDECAR_NS +
      policy(
        "get-only",
        "  selector:\n    matchLabels:\n      app: web\n  rules:\n  - to:\n    - operation:\n        methods: [GET]",
      ),
    phrase: "requests this policy allowed are denied",
  },
  "l4-policy-kept": {
    yaml:
      SIDECAR_NS +
      policy(
        "ports",
        "  selector:\n    matchLabels:\n      app: web\n  rules:\n  - to:\n    - operation:\n        ports: ['8080']",
      ),
    phrase: "ztunnel enforces it",
  },
  "l4-policy-caller-identity": {
    yaml:
      SIDECAR_NS +
      policy(
        "from-web",
        "  selector:\n    matchLabels:\n      app: api\n  rules:\n  - from:\n    - source:\n        principals: [cluster.local/ns/app/sa/web]",
      ) +
      policy(
        "get-only",
        "  selector:\n    matchLabels:\n      app: web\n  rules:\n  - to:\n    - operation:\n        methods: [GET]",
      ),
    phrase: "sees the waypoint's identity as the caller",
  },
  "request-authentication-selector": {
    yaml: `${SIDECAR_NS}apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata:\n  name: jwt\nspec:\n  selector:\n    matchLabels:\n      app: web\n  jwtRules:\n  - issuer: x\n`,
    phrase: "with a workload selector",
  },
  "wasm-plugin-selector": {
    yaml: `${SIDECAR_NS}apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata:\n  name: auth\nspec:\n  selector:\n    matchLabels:\n      app: web\n  url: oci://example/plugin:1\n`,
    phrase: "the Wasm extension",
  },
  "envoy-filter": {
    yaml: `${SIDECAR_NS}apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata:\n  name: lua\nspec:\n  configPatches: []\n`,
    phrase: "waypoints do not support EnvoyFilter",
  },
  "sidecar-resource": {
    yaml: `${SIDECAR_NS}apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: default\nspec:\n  egress:\n  - hosts: ["./*"]\n`,
    phrase: "no effect in ambient mode",
  },
  "peer-authentication-strict": {
    yaml: `${SIDECAR_NS}apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\nspec:\n  mtls:\n    mode: STRICT\n`,
    phrase: "ztunnel keeps enforcing it",
  },
  "virtual-service-mesh-route": {
    yaml: SIDECAR_NS + fixture("bookinfo/networking/virtual-service-reviews-80-20.yaml"),
    phrase: "routes mesh traffic for reviews",
  },
  "virtual-service-ingress-only": {
    yaml: SIDECAR_NS + fixture("bookinfo/networking/bookinfo-gateway.yaml"),
    phrase: "bound only to gateway(s) bookinfo-gateway",
  },
  "virtual-service-unsupported-feature": {
    yaml: SIDECAR_NS + fixture("bookinfo/networking/virtual-service-ratings-test-abort.yaml"),
    phrase: "http[0].fault",
  },
  "destination-rule-subsets": {
    yaml: SIDECAR_NS + fixture("bookinfo/networking/destination-rule-reviews.yaml"),
    phrase: "subsets v1, v2, v3 of reviews",
  },
  "template-forces-injection": {
    yaml: namespaceYaml("app") + deployment("web", '        sidecar.istio.io/inject: "true"'),
    phrase: "carries sidecar.istio.io/inject=true",
  },
  "native-sidecar": {
    yaml:
      SIDECAR_NS +
      deployment(
        "web",
        "",
        '      initContainers:\n      - name: istio-proxy\n        restartPolicy: Always\n        env:\n        - name: ISTIO_META_ENABLE_HBONE\n          value: "true"',
      ),
    phrase: "native sidecar",
  },
  "sidecar-not-hbone": {
    yaml: `${SIDECAR_NS}apiVersion: v1\nkind: Pod\nmetadata:\n  name: old\n  annotations:\n    sidecar.istio.io/status: '{}'\nspec:\n  containers:\n  - name: app\n    image: x\n  - name: istio-proxy\n    image: proxyv2\n`,
    phrase: "lacks ISTIO_META_ENABLE_HBONE=true",
  },
  "host-network-pod": {
    yaml: SIDECAR_NS + deployment("node-agent", "", "      hostNetwork: true"),
    phrase: "uses hostNetwork",
  },
  "sidecar-workload-rollout-restart": {
    yaml: `${SIDECAR_NS}apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  template:\n    metadata:\n      labels:\n        app: agent\n    spec:\n      containers:\n      - name: a\n        image: x\n`,
    phrase: "node by node",
  },
  "sidecar-workload-manual-restart": {
    yaml: `${SIDECAR_NS}apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: report\nspec:\n  schedule: "0 * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: r\n            image: x\n`,
    phrase: "next scheduled run",
  },
  ...TRAFFIC_SAFETY_CASES,
  "gitops-managed": {
    yaml: namespaceYaml("app", {
      "istio-injection": "enabled",
      "kustomize.toolkit.fluxcd.io/name": "apps",
      "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
    }),
    phrase: "step 3 removes istio-injection=enabled, and Flux's kustomize-controller puts it back",
  },
};

describe("every finding code", () => {
  it("has a case here", () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(FINDING_CODES).sort());
  });
  for (const [code, c] of Object.entries(CASES)) {
    it(`${code} is produced, with its documented severity`, () => {
      const found = findingsOf(c.yaml, c.namespaces).filter((f) => f.code === code);
      expect(found.length).toBeGreaterThan(0);
      expect(found[0]?.severity).toBe(FINDING_CODES[code as FindingCode].severity);
      expect(found.map((f) => f.message).join("\n")).toContain(c.phrase);
    });
  }
});

describe("checks in detail", () => {
  it("reports portLevelMtls DISABLE and a mesh-wide DISABLE in the root namespace", () => {
    const yaml = `${SIDECAR_NS}${namespaceYaml("istio-system")}apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: db
  namespace: app
spec:
  selector:
    matchLabels:
      app: db
  portLevelMtls:
    "3306":
      mode: DISABLE
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: DISABLE
`;
    const found = findingsOf(yaml, ["app"]).filter((f) => f.code === "peer-authentication-disable");
    expect(found.map((f) => [f.namespace, f.scope])).toEqual([
      ["app", "namespace"],
      ["istio-system", "mesh"],
    ]);
    expect(found[0]?.message).toContain("portLevelMtls[3306] DISABLE");
  });

  it("reads the root namespace from the mesh config", () => {
    const yaml = `${SIDECAR_NS}apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: mesh-root
data:
  mesh: "rootNamespace: mesh-root"
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: mesh-root
spec:
  mtls:
    mode: DISABLE
`;
    const found = findingsOf(yaml, ["app"]).filter((f) => f.code === "peer-authentication-disable");
    expect(found.map((f) => f.scope)).toEqual(["mesh"]);
  });

  it("sees SPIRE through the CSI driver and the spire injection template", () => {
    const yaml =
      SIDECAR_NS +
      deployment(
        "a",
        "      annotations:\n        inject.istio.io/templates: sidecar,spire",
        "      volumes:\n      - name: workload-socket\n        csi:\n          driver: csi.spiffe.io",
      );
    const [f] = findingsOf(yaml).filter((x) => x.code === "spire-managed-workload");
    expect(f?.message).toContain("CSI volume workload-socket");
    expect(f?.message).toContain("inject.istio.io/templates");
  });

  it("flags externalIstiod and the istiod-remote Service as primary-remote, cluster names as signals", () => {
    const yaml = `${namespaceYaml("istio-system")}apiVersion: v1
kind: ConfigMap
metadata:
  name: istio-sidecar-injector-1-27
  namespace: istio-system
data:
  values: '{"global":{"externalIstiod":true,"multiCluster":{"clusterName":"east"},"network":"net-east"}}'
---
apiVersion: v1
kind: Service
metadata:
  name: istiod-remote
  namespace: istio-system
spec:
  ports:
  - port: 15012
`;
    const found = findingsOf(yaml);
    expect(found.filter((f) => f.code === "primary-remote-multicluster").map((f) => f.kind)).toEqual([
      "ConfigMap",
      "Service",
    ]);
    expect(found.filter((f) => f.code === "multicluster-signal")).toHaveLength(2);
  });

  it("tells what ztunnel does with L7 DENY, CUSTOM and AUDIT policies, and says whether a waypoint exists", () => {
    const yaml = `${SIDECAR_NS}${policy("deny-post", "  action: DENY\n  rules:\n  - to:\n    - operation:\n        methods: [POST]\n        ports: ['80']")}${policy("ext", "  action: CUSTOM\n  provider:\n    name: opa\n  rules:\n  - {}")}apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: waypoint
spec:
  gatewayClassName: istio-waypoint
  listeners:
  - name: mesh
    port: 15008
    protocol: HBONE
`;
    const found = findingsOf(yaml).filter((f) => f.code === "l7-policy-needs-waypoint");
    const byName = Object.fromEntries(found.map((f) => [f.name, f.message]));
    expect(byName["deny-post"]).toContain("denies more than before");
    expect(byName["deny-post"]).toContain("namespace-wide");
    expect(byName.ext).toContain("rejects CUSTOM and AUDIT");
    expect(byName.ext).toContain("waypoint waypoint exists in app");
  });

  it("does not report identity-keyed L4 policies when no waypoint will be used", () => {
    const yaml =
      SIDECAR_NS +
      policy(
        "from-web",
        "  selector:\n    matchLabels:\n      app: api\n  rules:\n  - from:\n    - source:\n        namespaces: [app]",
      );
    expect(codes(findingsOf(yaml))).toContain("l4-policy-kept");
    expect(codes(findingsOf(yaml))).not.toContain("l4-policy-caller-identity");
  });

  it("leaves targetRefs policies alone", () => {
    const yaml =
      SIDECAR_NS +
      policy(
        "at-waypoint",
        "  targetRefs:\n  - kind: Gateway\n    group: gateway.networking.k8s.io\n    name: waypoint\n  rules:\n  - to:\n    - operation:\n        methods: [GET]",
      );
    expect(codes(findingsOf(yaml))).toEqual(["namespace-state"]);
  });

  it("tells mesh-and-ingress VirtualServices to drop mesh rather than be deleted", () => {
    const yaml = `${SIDECAR_NS}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: both
spec:
  hosts: [web]
  gateways: [public, mesh]
  http:
  - match:
    - sourceLabels:
        app: canary
      withoutHeaders:
        x-test: {exact: "1"}
    route:
    - destination:
        host: web
`;
    const found = findingsOf(yaml);
    const mesh = found.find((f) => f.code === "virtual-service-mesh-route");
    expect(mesh?.message).toContain('remove "mesh" from its gateways');
    expect(found.find((f) => f.code === "virtual-service-unsupported-feature")?.message).toContain(
      "http[0].match[0].sourceLabels, http[0].match[0].withoutHeaders",
    );
  });

  it("explains how each non-Deployment sidecar workload gets new pods", () => {
    const yaml = `${SIDECAR_NS}apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  updateStrategy:
    type: OnDelete
  template:
    metadata:
      labels: {app: db}
    spec:
      containers: [{name: db, image: x}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      containers: [{name: m, image: x}]
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  containers: [{name: d, image: x}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: legacy
spec:
  selector:
    matchLabels: {app: legacy}
  template:
    metadata:
      labels: {app: legacy}
    spec:
      containers: [{name: l, image: x}]
`;
    const manual = findingsOf(yaml).filter((f) => f.code === "sidecar-workload-manual-restart");
    const byName = Object.fromEntries(manual.map((f) => [f.name, f.message]));
    expect(byName.db).toContain("OnDelete");
    expect(byName.migrate).toContain("re-run the Job");
    expect(byName.debug).toContain("bare pod");
    expect(byName.legacy).toContain("delete its pods");
  });

  it("reports sidecar pods of an HBONE-capable template only when a pod lacks HBONE", () => {
    const hbone = `${SIDECAR_NS}apiVersion: v1
kind: Pod
metadata:
  name: ok
spec:
  containers:
  - name: istio-proxy
    env:
    - name: ISTIO_META_ENABLE_HBONE
      value: "true"
`;
    expect(codes(findingsOf(hbone))).not.toContain("sidecar-not-hbone");
  });

  it("states the namespace between steps and in ambient", () => {
    const yaml =
      namespaceYaml("orders", { "istio-injection": "enabled", "istio.io/dataplane-mode": "ambient" }) +
      namespaceYaml("done", { "istio.io/dataplane-mode": "ambient" }) +
      namespaceYaml("plain");
    const states = findingsOf(yaml)
      .filter((f) => f.code === "namespace-state")
      .map((f) => f.message);
    expect(states).toEqual([
      "namespace done: ambient",
      "namespace orders: migrating: after step 2",
      "namespace plain: not meshed",
    ]);
  });

  it("points each finding at its file and line", () => {
    const [f] = findingsOf(SIDECAR_NS + fixture("bookinfo/networking/destination-rule-reviews.yaml")).filter(
      (x) => x.code === "destination-rule-subsets",
    );
    expect(f?.origin).toBe("<stdin>:8"); // lines 1-7: the Namespace document and its ---
  });
});
