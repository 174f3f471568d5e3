// Which GitOps controller or package manager owns an object, read from the labels and annotations
// each one stamps on what it applies. An owned object is desired state in Git (or in a chart):
// what the migration changes on it drifts, and the owner puts it back or re-creates it.
//   Argo CD: annotation argocd.argoproj.io/tracking-id (annotation tracking, the default since
//     Argo CD 3.0), or its instance label (app.kubernetes.io/instance unless argocd-cm's
//     application.instanceLabelKey says otherwise) when the cluster runs Argo CD (argocd-cm seen).
//   Flux: labels kustomize.toolkit.fluxcd.io/name|namespace and helm.toolkit.fluxcd.io/name|namespace.
//   Helm: annotation meta.helm.sh/release-name (and release-namespace), label app.kubernetes.io/managed-by=Helm.

import { K } from "../inventory/kinds.js";
import { annotationsOf, type Inventory, type KubeObject, labelsOf } from "../inventory/model.js";

const GITOPS = {
  argoTrackingId: "argocd.argoproj.io/tracking-id",
  argoInstance: "app.kubernetes.io/instance",
  argoConfigMap: "argocd-cm",
  argoInstanceLabelKey: "application.instanceLabelKey",
  argoTrackingMethod: "application.resourceTrackingMethod",
  fluxKustomizationName: "kustomize.toolkit.fluxcd.io/name",
  fluxKustomizationNamespace: "kustomize.toolkit.fluxcd.io/namespace",
  fluxHelmReleaseName: "helm.toolkit.fluxcd.io/name",
  fluxHelmReleaseNamespace: "helm.toolkit.fluxcd.io/namespace",
  helmReleaseName: "meta.helm.sh/release-name",
  helmReleaseNamespace: "meta.helm.sh/release-namespace",
  managedBy: "app.kubernetes.io/managed-by",
} as const;

type GitopsTool = "argocd" | "flux-kustomization" | "flux-helmrelease" | "helm";

export interface GitopsOwner {
  tool: GitopsTool;
  /** "Argo CD Application shop", "Flux Kustomization flux-system/apps", "Helm release shop". */
  owner: string;
  /** The label or annotation that says so, as `key=value`. */
  signal: string;
}

/** What the cluster says about Argo CD: whether it runs, and which label tracks objects. */
export interface GitopsCluster {
  argo: { installed: boolean; instanceLabel?: string };
}

/**
 * Argo CD runs when its ConfigMap argocd-cm is in the inventory. Its instance label tracks
 * objects unless argocd-cm sets resourceTrackingMethod to plain `annotation`.
 */
export function gitopsCluster(inventory: Inventory): GitopsCluster {
  const cm = inventory.list(K.ConfigMap).find((c) => c.metadata.name === GITOPS.argoConfigMap);
  if (!cm) return { argo: { installed: false } };
  const data = (cm.data ?? {}) as Record<string, string>;
  const method = (data[GITOPS.argoTrackingMethod] ?? "").trim();
  if (method === "annotation") return { argo: { installed: true } };
  return {
    argo: { installed: true, instanceLabel: data[GITOPS.argoInstanceLabelKey] || GITOPS.argoInstance },
  };
}

/** Every owner an object's labels and annotations name (usually one; Argo CD + Helm is common). */
export function gitopsOwners(object: KubeObject, cluster: GitopsCluster): GitopsOwner[] {
  const labels = labelsOf(object);
  const annotations = annotationsOf(object);
  const out: GitopsOwner[] = [];
  const tracking = annotations[GITOPS.argoTrackingId];
  if (tracking !== undefined) {
    // <application>:<group>/<kind>:<namespace>/<name>; the application may be `<ns>_<name>`.
    const app = tracking.split(":")[0] || tracking;
    out.push({
      tool: "argocd",
      owner: `Argo CD Application ${app}`,
      signal: `${GITOPS.argoTrackingId}=${tracking}`,
    });
  } else if (cluster.argo.instanceLabel && labels[cluster.argo.instanceLabel] !== undefined) {
    const app = labels[cluster.argo.instanceLabel] as string;
    out.push({
      tool: "argocd",
      owner: `Argo CD Application ${app}`,
      signal: `${cluster.argo.instanceLabel}=${app} (Argo CD runs here: ${GITOPS.argoConfigMap})`,
    });
  }
  const fluxK = labels[GITOPS.fluxKustomizationName];
  if (fluxK !== undefined) {
    const ns = labels[GITOPS.fluxKustomizationNamespace];
    out.push({
      tool: "flux-kustomization",
      owner: `Flux Kustomization ${ns ? `${ns}/` : ""}${fluxK}`,
      signal: `${GITOPS.fluxKustomizationName}=${fluxK}`,
    });
  }
  const fluxH = labels[GITOPS.fluxHelmReleaseName];
  if (fluxH !== undefined) {
    const ns = labels[GITOPS.fluxHelmReleaseNamespace];
    out.push({
      tool: "flux-helmrelease",
      owner: `Flux HelmRelease ${ns ? `${ns}/` : ""}${fluxH}`,
      signal: `${GITOPS.fluxHelmReleaseName}=${fluxH}`,
    });
  }
  // Flux's helm-controller installs with Helm, so its objects carry Helm's marks too: one owner.
  const release = annotations[GITOPS.helmReleaseName];
  if (fluxH === undefined && (release !== undefined || labels[GITOPS.managedBy] === "Helm")) {
    const ns = annotations[GITOPS.helmReleaseNamespace];
    out.push({
      tool: "helm",
      owner: release ? `Helm release ${ns ? `${ns}/` : ""}${release}` : "a Helm release",
      signal:
        release !== undefined
          ? `${GITOPS.helmReleaseName}=${release}`
          : `${GITOPS.managedBy}=${labels[GITOPS.managedBy]}`,
    });
  }
  return out;
}

/** How each owner treats a change made behind its back, for messages. */
export function revertBehaviour(tool: GitopsTool): { reverts: string; recreates: string } {
  switch (tool) {
    case "argocd":
      return {
        reverts:
          "Argo CD's automated sync with self-heal puts it back within seconds (without self-heal the Application turns OutOfSync and the next sync puts it back)",
        recreates:
          "Argo CD's self-heal re-creates it from Git (the next sync does without self-heal); only removing it from Git lets prune delete it for good",
      };
    case "flux-kustomization":
      return {
        reverts: "Flux's kustomize-controller puts it back at its next reconciliation (spec.interval)",
        recreates:
          "Flux's kustomize-controller re-creates it from Git at its next reconciliation; only removing it from Git lets prune delete it for good",
      };
    case "flux-helmrelease":
      return {
        reverts:
          "Flux's helm-controller puts it back with drift detection on, or at the next upgrade of the release",
        recreates:
          "Flux's helm-controller re-creates it with drift detection on, or at the next upgrade of the release",
      };
    case "helm":
      return {
        reverts:
          "the next helm upgrade of the release puts it back (Helm's three-way merge keeps what the chart renders)",
        recreates: "the next helm upgrade of the release re-creates it from the chart",
      };
  }
}
