import { describe, expect, it } from "vitest";
import { assess } from "../../../src/assess/assess.js";
import { changeCommands } from "../../../src/changes/index.js";
import { gateVerify } from "../../../src/gates/index.js";
import { readManifests } from "../../../src/inventory/from-files.js";
import { buildPlan } from "../../../src/plan/build.js";
import type { Change, NamespacePlan } from "../../../src/plan/model.js";
import type { PlanOptions } from "../../../src/plan/options.js";
import { translate } from "../../../src/translate/index.js";
import { EXAMPLE, fixture, inventoryOf, namespaceYaml } from "../assess/helpers.js";

function planOf(yaml: string, defaultNamespace = "app", options: PlanOptions = {}): NamespacePlan[] {
  const inventory = inventoryOf(yaml, defaultNamespace);
  return buildPlan(inventory, assess(inventory, inventory.namespaceNames()), options).namespaces;
}

/** bookinfo's ratings VirtualService injects faults, which HTTPRoute cannot: accepted here. */
function examplePlan(options: PlanOptions = { acceptTranslationLosses: true }): Map<string, NamespacePlan> {
  const { inventory } = readManifests([EXAMPLE]);
  const plan = buildPlan(inventory, assess(inventory, inventory.namespaceNames()), options);
  return new Map(plan.namespaces.map((n) => [n.namespace, n]));
}

const step = (plan: NamespacePlan | undefined, n: number) => plan?.steps.find((s) => s.step === n);
const SIDECAR_NS = namespaceYaml("app", { "istio-injection": "enabled" });
/** Bookinfo's Services (and workloads), which the translation needs for subsets and targetRefs. */
const BOOKINFO = fixture("bookinfo/platform/bookinfo.yaml");
const service = (name: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: 80}]
---
`;
const deployment = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers: [{name: app, image: x}]
---
`;
const L7 = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: get-only
spec:
  selector:
    matchLabels: {app: web}
  rules:
  - to:
    - operation:
        methods: [GET]
---
`;

describe("plan for the example mesh", () => {
  const plans = examplePlan();

  it("creates bookinfo's waypoint, waits for it, then points the namespace at it (step 1)", () => {
    const s1 = step(plans.get("bookinfo"), 1);
    const translated = plans.get("bookinfo")?.applyBeforeStep1.length ?? 0;
    expect(translated).toBe(13);
    // First the sidecars' routes are recorded, before the translated HTTPRoutes change them.
    expect(s1?.changes[0]).toEqual({
      type: "record-routes",
      namespace: "bookinfo",
      file: "sidecar-routes-bookinfo.json",
    });
    const ours = translated + 1;
    expect(s1?.changes.slice(ours).map((c) => c.type)).toEqual(["apply", "label", "label"]);
    const apply = s1?.changes[ours] as Extract<Change, { type: "apply" }>;
    expect(apply.object.spec).toEqual({
      gatewayClassName: "istio-waypoint",
      listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }],
    });
    // The one waypoint builder: the Gateway `translate` writes, labelled as the tool's own.
    expect(apply.object).toEqual(
      translate(readManifests([EXAMPLE]).inventory, ["bookinfo"]).objects.find(
        (o) => o.kind === "Gateway" && o.metadata.name === "waypoint",
      ),
    );
    expect(apply.object.metadata.labels).toEqual({
      "istio.io/waypoint-for": "service",
      "app.kubernetes.io/managed-by": "ambient-migrate",
    });
    expect(apply.waitFor).toEqual({ type: "waypoint-programmed", namespace: "bookinfo", name: "waypoint" });
    expect(s1?.changes[ours + 1]).toMatchObject({
      key: "istio.io/use-waypoint",
      value: "waypoint",
      previous: null,
    });
    // The ingress gateway's backend gets ingress-use-waypoint (ingress-bypasses-waypoint).
    expect(s1?.changes[ours + 2]).toEqual({
      type: "label",
      target: { apiVersion: "v1", kind: "Service", namespace: "bookinfo", name: "productpage" },
      key: "istio.io/ingress-use-waypoint",
      value: "true",
      previous: null,
    });
    expect(s1?.rollback.slice(0, 4)).toEqual([
      "kubectl label service productpage -n bookinfo istio.io/ingress-use-waypoint-",
      "kubectl label namespace bookinfo istio.io/use-waypoint-",
      "kubectl delete gateways.gateway.networking.k8s.io waypoint -n bookinfo",
      "kubectl delete authorizationpolicies.security.istio.io productpage-viewer-waypoint -n bookinfo",
    ]);
    expect(s1?.rollback).toHaveLength(3 + translated);
  });

  it("labels ambient (step 2), removes the exact injection label (step 3) and restores it on rollback", () => {
    const canary = plans.get("bookinfo-canary");
    expect(step(canary, 1)?.changes).toEqual([]);
    expect(step(canary, 2)?.commands).toEqual([
      "kubectl label namespace bookinfo-canary istio.io/dataplane-mode=ambient --overwrite",
    ]);
    expect(step(canary, 3)?.changes).toEqual([
      {
        type: "label",
        target: { apiVersion: "v1", kind: "Namespace", name: "bookinfo-canary" },
        key: "istio.io/rev",
        value: null,
        previous: "1-27",
      },
    ]);
    expect(step(canary, 3)?.rollback).toEqual([
      "kubectl label namespace bookinfo-canary istio.io/rev=1-27 --overwrite",
    ]);
    expect(step(canary, 4)?.rollback[0]).toBe(
      "kubectl label namespace bookinfo-canary istio.io/rev=1-27 --overwrite",
    );
  });

  it("restarts every sidecar workload, Deployments and the StatefulSet alike (step 4)", () => {
    const s4 = step(plans.get("payments"), 4);
    expect(s4?.commands).toEqual([
      "kubectl rollout restart deployment/payments-api -n payments",
      "kubectl rollout restart statefulset/ledger -n payments",
    ]);
    expect(s4?.gates[0]).toMatchObject({ type: "rollouts-complete" });
    expect(step(plans.get("payments"), 3)?.notes.join()).toContain("sidecar.istio.io/inject=true");
  });

  it("backs up, verifies, then deletes sidecar-era config, and keeps what ztunnel or gateways still use (step 5)", () => {
    const bookinfo = plans.get("bookinfo");
    const s5 = step(bookinfo, 5);
    expect(s5?.changes[0]).toMatchObject({
      type: "backup",
      file: "istio-config-backup-bookinfo.yaml",
      waitFor: { type: "backup-verified" },
    });
    expect(bookinfo?.deleteInStep5.map((d) => `${d.ref.kind}/${d.ref.name}`).sort()).toEqual([
      "AuthorizationPolicy/productpage-viewer",
      "DestinationRule/details",
      "DestinationRule/productpage",
      "DestinationRule/reviews",
      "VirtualService/reviews",
    ]);
    // ratings injects faults: its translation is incomplete, so it stays, and so do the subsets it uses.
    expect(bookinfo?.keep.map((d) => `${d.ref.kind}/${d.ref.name}: ${d.reason}`).sort()).toEqual([
      "AuthorizationPolicy/details-port: L4 only: ztunnel enforces it correctly",
      "AuthorizationPolicy/reviews-from-productpage: L4: ztunnel enforces it, but behind the waypoint the caller is the waypoint (see its warning)",
      "DestinationRule/ratings: its subsets are used by VirtualService/ratings, kept",
      "PeerAuthentication/default: STRICT mTLS: ztunnel enforces it",
      "VirtualService/bookinfo: bound to ingress gateways only: not a mesh route",
      "VirtualService/ratings: translation incomplete: see translate report",
    ]);
    expect(s5?.rollback).toEqual([
      "kubectl apply -f istio-config-backup-bookinfo.yaml  # re-creates the objects step 5 deleted",
    ]);
  });

  it("validates with sidecar, redirection, ztunnel, waypoint and acceptance gates (step 6)", () => {
    const gates = step(plans.get("bookinfo"), 6)?.gates;
    expect(gates?.map((g) => g.type)).toEqual([
      "no-sidecars",
      "pods-redirected",
      "ztunnel-workloads",
      "waypoint-programmed",
      "policies-accepted",
    ]);
    expect(gates?.at(-1)).toEqual(step(plans.get("bookinfo"), 1)?.gates.at(-1));
  });

  it("gives a blocked namespace its blockers and no steps, and one between steps only the steps left", () => {
    const legacy = plans.get("legacy-vms");
    expect(legacy?.blocked).toBe(true);
    expect(legacy?.steps).toEqual([]);
    expect(legacy?.blockers.map((b) => b.code)).toEqual(["peer-authentication-disable", "vm-workload-entry"]);
    expect(plans.get("orders")?.steps.map((s) => s.step)).toEqual([3, 4, 5, 6]);
  });

  it("renders commands and verify lines only from changes and gates", () => {
    for (const plan of plans.values()) {
      for (const s of plan.steps) {
        expect(s.commands).toEqual(s.changes.flatMap(changeCommands));
        expect(s.verify).toEqual(s.gates.flatMap(gateVerify));
      }
    }
  });
});

describe("plan edge cases", () => {
  it("has nothing to do for ambient and not-meshed namespaces", () => {
    const plans = planOf(
      namespaceYaml("done", { "istio.io/dataplane-mode": "ambient" }) + namespaceYaml("plain"),
    );
    expect(plans.map((p) => [p.namespace, p.steps.length, p.notes[0]])).toEqual([
      ["done", 0, "already in ambient mode: nothing to do"],
      ["plain", 0, "not in the mesh (no injection label, no sidecars): nothing to migrate"],
    ]);
  });

  it("blocks every namespace on a mesh-wide blocker", () => {
    const yaml = `${SIDECAR_NS}${deployment("web")}apiVersion: v1
kind: Service
metadata:
  name: istiod-remote
  namespace: istio-system
spec:
  ports: [{port: 15012}]
`;
    const app = planOf(yaml).find((p) => p.namespace === "app");
    expect(app?.blocked).toBe(true);
    expect(app?.blockers.map((b) => b.code)).toEqual(["primary-remote-multicluster"]);
  });

  it("uses an existing waypoint without re-creating it", () => {
    const yaml = `${SIDECAR_NS}${L7}${deployment("web")}${service("web")}apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: waypoint
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
`;
    const [app] = planOf(yaml);
    expect(app?.waypoint).toMatchObject({ exists: true, create: false, needed: true });
    // The translated policy, then the label: the translation makes no second waypoint.
    expect(step(app, 1)?.changes.map((c) => (c.type === "apply" ? c.object.kind : c.type))).toEqual([
      "AuthorizationPolicy",
      "label",
    ]);
  });

  it("brings back a skipped step 1 when a needed waypoint was never activated", () => {
    const yaml =
      namespaceYaml("app", { "istio-injection": "enabled", "istio.io/dataplane-mode": "ambient" }) +
      L7 +
      deployment("web") +
      service("web");
    const [app] = planOf(yaml);
    expect(app?.steps.map((s) => s.step)).toEqual([1, 3, 4, 5, 6]);
    expect(step(app, 1)?.notes[0]).toContain("step 1 was skipped before step 2");
  });

  it("keeps DestinationRules whose subsets an ingress VirtualService uses, deletes the rest", () => {
    const ingressVs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: public
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway]
  http:
  - route:
    - destination: {host: reviews.app.svc.cluster.local, subset: v1}
---
`;
    const [app] = planOf(
      SIDECAR_NS + BOOKINFO + ingressVs + fixture("bookinfo/networking/destination-rule-all.yaml"),
    );
    expect(
      app?.keep.filter((k) => k.ref.kind === "DestinationRule").map((k) => [k.ref.name, k.reason]),
    ).toEqual([["reviews", "its subsets are used by a VirtualService that stays (ingress gateway)"]]);
    expect(app?.deleteInStep5.map((d) => d.ref.name)).toEqual(["details", "productpage", "ratings"]);
  });

  it("keeps a DestinationRule with a traffic policy (Istio's destination-rule-reviews.yaml)", () => {
    const [app] = planOf(
      SIDECAR_NS + BOOKINFO + fixture("bookinfo/networking/destination-rule-reviews.yaml"),
    );
    expect(app?.keep.map((k) => k.reason)).toEqual([
      "its traffic policy still applies at waypoints and gateways",
    ]);
    expect(step(app, 5)?.notes).toEqual(["nothing to delete"]);
  });

  it("deletes pods of OnDelete StatefulSets and leaves bare pods to the person, excepted from the sidecar gate", () => {
    const yaml = `${SIDECAR_NS}apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  updateStrategy: {type: OnDelete}
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers: [{name: db, image: x}]
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  containers: [{name: d, image: x}]
`;
    const [app] = planOf(yaml);
    expect(step(app, 4)?.commands).toEqual(["kubectl delete pods -n app -l app=db --wait=false"]);
    expect(step(app, 4)?.notes.join("\n")).toContain("by hand: Pod/debug is a bare pod");
    expect(app?.manualRestarts.map((m) => m.ref.name)).toEqual(["db", "debug"]);
    expect(step(app, 6)?.gates[0]).toMatchObject({
      type: "no-sidecars",
      except: [{ name: "db" }, { name: "debug" }],
    });
  });

  it("keeps a VirtualService bound to both mesh and an ingress gateway", () => {
    const yaml = `${SIDECAR_NS}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: both
spec:
  hosts: [web]
  gateways: [public, mesh]
  http:
  - route:
    - destination: {host: web}
`;
    const [app] = planOf(yaml);
    expect(app?.keep.map((k) => k.reason)).toEqual([
      'also bound to an ingress gateway: remove "mesh" from its gateways instead of deleting it',
    ]);
    expect(app?.waypoint.needed).toBe(true);
  });
});
