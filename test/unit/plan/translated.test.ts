import { describe, expect, it } from "vitest";
import { assess } from "../../../src/assess/assess.js";
import { readManifests } from "../../../src/inventory/from-files.js";
import { buildPlan } from "../../../src/plan/build.js";
import type { Change, NamespacePlan, Plan } from "../../../src/plan/model.js";
import type { PlanOptions } from "../../../src/plan/options.js";
import { EXAMPLE, fixture, inventoryOf, namespaceYaml } from "../assess/helpers.js";

type Apply = Extract<Change, { type: "apply" }>;

function example(options: PlanOptions = {}): Map<string, NamespacePlan> {
  const { inventory } = readManifests([EXAMPLE]);
  const plan = buildPlan(inventory, assess(inventory, inventory.namespaceNames()), options);
  return new Map(plan.namespaces.map((n) => [n.namespace, n]));
}

function planOf(yaml: string, options: PlanOptions = {}): Plan {
  const inventory = inventoryOf(yaml, "app");
  return buildPlan(inventory, assess(inventory, inventory.namespaceNames()), options);
}

const step = (plan: NamespacePlan | undefined, n: number) => plan?.steps.find((s) => s.step === n);
const applies = (plan: NamespacePlan | undefined, n: number) =>
  (step(plan, n)?.changes ?? []).filter((c): c is Apply => c.type === "apply");
const name = (a: { object: { kind: string; metadata: { name: string } } }) =>
  `${a.object.kind}/${a.object.metadata.name}`;

const SIDECAR_NS = namespaceYaml("app", { "istio-injection": "enabled" });
const BOOKINFO = fixture("bookinfo/platform/bookinfo.yaml");
const RULES = fixture("bookinfo/networking/destination-rule-all.yaml");
const REVIEWS_90_10 = fixture("bookinfo/networking/virtual-service-reviews-90-10.yaml");

describe("translation in the plan", () => {
  it("blocks a namespace whose VirtualService cannot be translated faithfully, and keeps the source", () => {
    const bookinfo = example().get("bookinfo");
    expect(bookinfo?.blocked).toBe(true);
    expect(bookinfo?.steps).toEqual([]);
    expect(bookinfo?.translationReport?.filter((e) => e.level === "error")).toEqual([
      expect.objectContaining({
        source: { kind: "VirtualService", namespace: "bookinfo", name: "ratings" },
        field: "spec.http[0].fault",
      }),
    ]);
    expect(bookinfo?.keep).toContainEqual(
      expect.objectContaining({
        ref: expect.objectContaining({ kind: "VirtualService", name: "ratings" }),
        reason: "translation incomplete: see translate report",
      }),
    );
    expect(bookinfo?.notes.join()).toContain("--accept-translation-losses");
  });

  it("applies the translated objects first in step 1, then the one waypoint, and waits for istiod to accept them", () => {
    const bookinfo = example({ acceptTranslationLosses: true }).get("bookinfo");
    const applied = applies(bookinfo, 1);
    const translated = bookinfo?.applyBeforeStep1.map(name) ?? [];
    expect(applied.map(name)).toEqual([...translated, "Gateway/waypoint"]);
    expect(translated.filter((t) => t.startsWith("Gateway/"))).toEqual([]);
    expect(translated).toEqual(expect.arrayContaining(["Service/reviews-v1", "HTTPRoute/reviews"]));
    expect(applied.every((a) => a.created)).toBe(true);
    expect(step(bookinfo, 1)?.gates.at(-1)).toEqual({
      type: "policies-accepted",
      targets: [
        {
          apiVersion: "gateway.networking.k8s.io/v1",
          kind: "HTTPRoute",
          namespace: "bookinfo",
          name: "ratings",
        },
        {
          apiVersion: "gateway.networking.k8s.io/v1",
          kind: "HTTPRoute",
          namespace: "bookinfo",
          name: "reviews",
        },
        {
          apiVersion: "security.istio.io/v1",
          kind: "AuthorizationPolicy",
          namespace: "bookinfo",
          name: "productpage-viewer-waypoint",
        },
      ],
    });
  });

  it("applies the bypass DENY policies only with --bypass-deny, last in step 4, once the rollouts are done", () => {
    expect(applies(example({ acceptTranslationLosses: true }).get("bookinfo"), 4)).toEqual([]);
    const s4 = step(example({ acceptTranslationLosses: true, bypassDeny: true }).get("bookinfo"), 4);
    const last = s4?.changes.at(-1) as Apply;
    expect(name(last)).toBe("AuthorizationPolicy/productpage-viewer-bypass-deny");
    expect(last.waitBefore).toEqual(s4?.gates[0]);
    const applyAt = s4?.commands.findIndex((c) => c.startsWith("kubectl apply")) ?? -1;
    expect(s4?.commands[applyAt - 1]).toBe(
      "kubectl rollout status deployment/productpage-v1 -n bookinfo --timeout=10m",
    );
    expect(s4?.rollback).toContain(
      "kubectl delete authorizationpolicies.security.istio.io productpage-viewer-bypass-deny -n bookinfo",
    );
  });

  it("deletes in step 5 only what the translation replaced", () => {
    const [app] = planOf(SIDECAR_NS + BOOKINFO + RULES + REVIEWS_90_10).namespaces;
    expect(app?.blocked).toBe(false);
    expect(app?.deleteInStep5.map((d) => `${d.ref.kind}/${d.ref.name}`).sort()).toEqual([
      "DestinationRule/details",
      "DestinationRule/productpage",
      "DestinationRule/ratings",
      "DestinationRule/reviews",
      "VirtualService/reviews",
    ]);
  });

  it("does not apply again what is already there with the same spec; overwrites what differs", () => {
    const [first] = planOf(SIDECAR_NS + BOOKINFO + RULES + REVIEWS_90_10).namespaces;
    const route = first?.applyBeforeStep1.find((a) => a.object.kind === "HTTPRoute")?.object;
    const v1 = first?.applyBeforeStep1.find((a) => a.object.metadata.name === "reviews-v1")?.object;
    if (!route || !v1) throw new Error("translation made no route or subset Service");
    const changed = { ...v1, spec: { ...v1.spec, ports: [{ name: "http", port: 8080 }] } };
    const yaml = [route, changed].map((o) => `\n---\n${JSON.stringify(o)}\n`).join("");
    const [again] = planOf(SIDECAR_NS + BOOKINFO + RULES + REVIEWS_90_10 + yaml).namespaces;
    const applied = applies(again, 1);
    expect(applied.map(name)).not.toContain("HTTPRoute/reviews");
    expect(applied.find((a) => a.object.metadata.name === "reviews-v1")?.created).toBe(false);
  });

  it("still plans a namespace with --accept-translation-losses and keeps the lossy source", () => {
    const faulty = fixture("bookinfo/networking/fault-injection-details-v1.yaml");
    const blocked = planOf(SIDECAR_NS + BOOKINFO + RULES + faulty).namespaces[0];
    expect(blocked?.blocked).toBe(true);
    const [app] = planOf(SIDECAR_NS + BOOKINFO + RULES + faulty, {
      acceptTranslationLosses: true,
    }).namespaces;
    expect(app?.blocked).toBe(false);
    expect(app?.keep.map((k) => `${k.ref.kind}/${k.ref.name}: ${k.reason}`)).toEqual(
      expect.arrayContaining([
        "VirtualService/details: translation incomplete: see translate report",
        "DestinationRule/details: its subsets are used by VirtualService/details, kept",
      ]),
    );
  });
});

describe("observability in the plan", () => {
  it("describes traces as they will be once step 1 points the namespace at its waypoint", () => {
    const bookinfo = example({ acceptTranslationLosses: true }).get("bookinfo");
    expect(bookinfo?.observability?.tracing.waypointOf.reviews).toBe("bookinfo/waypoint");
    expect(bookinfo?.observability?.podMonitorsToGenerate).toEqual(["Deployment/productpage-v1"]);
    expect(bookinfo?.observability?.strictMtls).toBe(true);
    // A namespace without a waypoint loses its mesh spans.
    const canary = example().get("bookinfo-canary");
    expect(canary?.observability?.tracing.lines.join()).toContain("no spans from the mesh");
  });

  it("lists the dashboards and rules in the input whose queries change", () => {
    const dashboard = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "istio-dashboard", namespace: "monitoring", labels: { grafana_dashboard: "1" } },
      data: {
        "mesh.json": JSON.stringify({
          title: "Mesh",
          panels: [
            {
              id: 1,
              title: "Requests",
              targets: [{ refId: "A", expr: 'sum(rate(istio_requests_total{reporter="source"}[5m]))' }],
            },
          ],
        }),
      },
    };
    const plan = planOf(`${SIDECAR_NS}${JSON.stringify(dashboard)}\n`);
    expect(plan.observability?.documents).toEqual([
      expect.objectContaining({ source: "ConfigMap/monitoring/istio-dashboard", rewritten: 1, flagged: 0 }),
    ]);
  });
});
