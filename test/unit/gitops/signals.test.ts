import { describe, expect, it } from "vitest";
import { assess } from "../../../src/assess/assess.js";
import { describeDrift, gitopsDrift } from "../../../src/gitops/drift.js";
import { gitopsCluster, gitopsOwners } from "../../../src/gitops/signals.js";
import { readManifests } from "../../../src/inventory/from-files.js";
import type { KubeObject } from "../../../src/inventory/model.js";
import { buildPlan } from "../../../src/plan/build.js";
import { EXAMPLE, findingsOf, inventoryOf, namespaceYaml } from "../assess/helpers.js";

const object = (
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): KubeObject => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name: "shop", labels, annotations },
});

const NO_ARGO = { argo: { installed: false } };
const ARGO_LABEL = { argo: { installed: true, instanceLabel: "app.kubernetes.io/instance" } };

const argoCm = (data: Record<string, string> = {}) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
data: ${JSON.stringify(data)}
---
`;

describe("GitOps signals", () => {
  it("Argo CD's tracking-id annotation names the Application", () => {
    const owners = gitopsOwners(
      object({}, { "argocd.argoproj.io/tracking-id": "shop-app:/Namespace:/shop" }),
      NO_ARGO,
    );
    expect(owners).toEqual([
      {
        tool: "argocd",
        owner: "Argo CD Application shop-app",
        signal: "argocd.argoproj.io/tracking-id=shop-app:/Namespace:/shop",
      },
    ]);
  });

  it("app.kubernetes.io/instance counts only on a cluster where Argo CD runs with label tracking", () => {
    const labelled = object({ "app.kubernetes.io/instance": "shop" });
    expect(gitopsOwners(labelled, NO_ARGO)).toEqual([]);
    expect(gitopsOwners(labelled, ARGO_LABEL).map((o) => o.owner)).toEqual(["Argo CD Application shop"]);

    expect(gitopsCluster(inventoryOf(namespaceYaml("shop")))).toEqual(NO_ARGO);
    expect(gitopsCluster(inventoryOf(argoCm()))).toEqual(ARGO_LABEL);
    // Annotation tracking only: the instance label is Helm's or the chart's, not Argo CD's.
    expect(
      gitopsCluster(inventoryOf(argoCm({ "application.resourceTrackingMethod": "annotation" }))),
    ).toEqual({ argo: { installed: true } });
    expect(
      gitopsCluster(
        inventoryOf(
          argoCm({
            "application.resourceTrackingMethod": "annotation+label",
            "application.instanceLabelKey": "argocd.argoproj.io/instance",
          }),
        ),
      ),
    ).toEqual({ argo: { installed: true, instanceLabel: "argocd.argoproj.io/instance" } });
  });

  it("Flux labels name the Kustomization or HelmRelease; a HelmRelease is not also reported as plain Helm", () => {
    expect(
      gitopsOwners(
        object({
          "kustomize.toolkit.fluxcd.io/name": "apps",
          "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
        }),
        NO_ARGO,
      ).map((o) => [o.tool, o.owner]),
    ).toEqual([["flux-kustomization", "Flux Kustomization flux-system/apps"]]);
    expect(
      gitopsOwners(
        object(
          {
            "helm.toolkit.fluxcd.io/name": "shop",
            "helm.toolkit.fluxcd.io/namespace": "flux-system",
            "app.kubernetes.io/managed-by": "Helm",
          },
          { "meta.helm.sh/release-name": "shop" },
        ),
        NO_ARGO,
      ).map((o) => [o.tool, o.owner]),
    ).toEqual([["flux-helmrelease", "Flux HelmRelease flux-system/shop"]]);
  });

  it("Helm's release annotation or managed-by=Helm label; the tool's own managed-by is not a signal", () => {
    expect(
      gitopsOwners(
        object({}, { "meta.helm.sh/release-name": "shop", "meta.helm.sh/release-namespace": "apps" }),
        NO_ARGO,
      ).map((o) => o.owner),
    ).toEqual(["Helm release apps/shop"]);
    expect(
      gitopsOwners(object({ "app.kubernetes.io/managed-by": "Helm" }), NO_ARGO).map((o) => o.signal),
    ).toEqual(["app.kubernetes.io/managed-by=Helm"]);
    expect(gitopsOwners(object({ "app.kubernetes.io/managed-by": "ambient-migrate" }), NO_ARGO)).toEqual([]);
    expect(gitopsOwners(object({ app: "shop" }), NO_ARGO)).toEqual([]);
  });
});

const VS = (annotations: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: app
${annotations}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
---
`;

describe("finding gitops-managed", () => {
  it("says what the owner puts back on a namespace (the injection label) and re-creates (a VirtualService)", () => {
    const yaml =
      namespaceYaml("app", { "istio-injection": "enabled", "app.kubernetes.io/instance": "app" }) +
      argoCm() +
      VS(
        '  annotations:\n    argocd.argoproj.io/tracking-id: "app:networking.istio.io/VirtualService:app/reviews"',
      );
    const found = findingsOf(yaml, ["app"]).filter((f) => f.code === "gitops-managed");
    expect(found.map((f) => [f.kind, f.name, f.severity])).toEqual([
      ["Namespace", "app", "warning"],
      ["VirtualService", "reviews", "warning"],
    ]);
    expect(found[0]?.message).toContain(
      "step 3 removes istio-injection=enabled, and Argo CD's automated sync with self-heal puts it back",
    );
    expect(found[0]?.message).toContain("pods restarted after that get sidecars back");
    expect(found[1]?.message).toContain("when step 5 deletes it");
    expect(found[1]?.message).toContain("Argo CD's self-heal re-creates it from Git");
  });

  it("names a Helm workload whose pod template forces injection, not one that does not", () => {
    const deployment = (name: string, inject: boolean) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: app
  labels: {app.kubernetes.io/managed-by: Helm}
  annotations: {meta.helm.sh/release-name: shop}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata:
      labels: {app: ${name}${inject ? ', sidecar.istio.io/inject: "true"' : ""}}
    spec:
      containers: [{name: app, image: x}]
---
`;
    const yaml =
      namespaceYaml("app", { "istio-injection": "enabled" }) +
      deployment("forced", true) +
      deployment("plain", false);
    const found = findingsOf(yaml, ["app"]).filter((f) => f.code === "gitops-managed");
    expect(found.map((f) => f.name)).toEqual(["forced"]);
    expect(found[0]?.message).toContain("the next helm upgrade of the release puts it back");
  });

  it("reports nothing for objects nobody owns (the example mesh)", () => {
    const { inventory } = readManifests([EXAMPLE]);
    const findings = assess(inventory, inventory.namespaceNames()).findings;
    expect(findings.filter((f) => f.code === "gitops-managed")).toEqual([]);
  });
});

describe("what migrate refuses (gitopsDrift)", () => {
  it("lists every label, template and delete change on owned objects, not restarts nor created objects", () => {
    const { inventory } = readManifests([EXAMPLE]);
    // The example's payments namespace, as Flux would have applied it.
    const ns = inventory.namespaceObject("payments");
    if (!ns) throw new Error("payments missing from the example");
    ns.metadata.labels = { ...ns.metadata.labels, "kustomize.toolkit.fluxcd.io/name": "payments" };
    const plan = buildPlan(inventory, assess(inventory, ["payments"]), { patchForcedInjection: true });
    const drift = gitopsDrift(inventory, plan.namespaces);
    expect(drift.map((d) => [d.step, d.object])).toEqual([
      [1, "Namespace/payments"],
      [2, "Namespace/payments"],
      [3, "Namespace/payments"],
    ]);
    expect(describeDrift(drift[2] as (typeof drift)[number])).toBe(
      "Namespace/payments (Flux Kustomization payments): step 3 removes label istio-injection=enabled; Flux's kustomize-controller puts it back at its next reconciliation (spec.interval)",
    );

    // The StatefulSet and the RequestAuthentication from a Helm chart: template patch and delete too.
    for (const [kind, name] of [
      ["StatefulSet.apps", "ledger"],
      ["RequestAuthentication.security.istio.io", "payments-jwt"],
    ] as const) {
      const o = inventory.get(kind, "payments", name);
      if (!o) throw new Error(`${name} missing`);
      o.metadata.annotations = { ...o.metadata.annotations, "meta.helm.sh/release-name": "payments" };
    }
    const more = gitopsDrift(
      inventory,
      buildPlan(inventory, assess(inventory, ["payments"]), { patchForcedInjection: true }).namespaces,
    );
    expect(more.map((d) => `${d.step} ${d.object} ${d.change.split(";")[0]}`)).toEqual([
      "1 Namespace/payments step 1 sets label istio.io/use-waypoint=waypoint",
      "2 Namespace/payments step 2 sets label istio.io/dataplane-mode=ambient",
      "3 Namespace/payments step 3 removes label istio-injection=enabled",
      "3 StatefulSet/payments/ledger step 3 removes sidecar.istio.io/inject from its pod template labels",
      "5 RequestAuthentication/payments/payments-jwt step 5 deletes it",
    ]);
    expect(more[4]?.change).toContain("the next helm upgrade of the release re-creates it from the chart");
  });
});
