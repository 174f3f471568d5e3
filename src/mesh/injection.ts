// Istio's sidecar injection selection, as the injector's MutatingWebhookConfiguration selects:
// namespace `istio-injection=enabled`; namespace `istio.io/rev` (only without istio-injection);
// pod `istio.io/rev` or `sidecar.istio.io/inject=true` (only without namespace labels).
// `sidecar.istio.io/inject=false` always opts out; hostNetwork pods are never injected.
// Injection ignores `istio.io/dataplane-mode`: a namespace with both still injects.

import { L } from "./labels.js";

export type NamespaceInjection =
  | { mode: "none" }
  | { mode: "disabled"; label: typeof L.injection; value: string }
  | { mode: "injection-label"; label: typeof L.injection; value: "enabled" }
  | { mode: "revision"; label: typeof L.revision; value: string };

export function namespaceInjection(nsLabels: Record<string, string>): NamespaceInjection {
  const inj = nsLabels[L.injection];
  if (inj === "enabled") return { mode: "injection-label", label: L.injection, value: "enabled" };
  if (inj !== undefined) return { mode: "disabled", label: L.injection, value: inj };
  const rev = nsLabels[L.revision];
  if (rev !== undefined) return { mode: "revision", label: L.revision, value: rev };
  return { mode: "none" };
}

/** The namespace labels that make the injector select the namespace (what step 3 removes). */
export function injectionLabels(nsLabels: Record<string, string>): { label: string; value: string }[] {
  const out: { label: string; value: string }[] = [];
  if (nsLabels[L.injection] === "enabled") out.push({ label: L.injection, value: "enabled" });
  const rev = nsLabels[L.revision];
  if (rev !== undefined) out.push({ label: L.revision, value: rev });
  return out;
}

type InjectionReason =
  | "namespace-injection-label"
  | "namespace-revision"
  | "pod-revision"
  | "pod-inject-label"
  | "opted-out"
  | "host-network"
  | "namespace-disabled"
  | "not-selected";

export interface PodTemplateFacts {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  hostNetwork: boolean;
}

/** Whether the injector would add a sidecar to a new pod of this template in this namespace. */
export function wouldInject(
  nsLabels: Record<string, string>,
  pod: PodTemplateFacts,
): { inject: boolean; reason: InjectionReason } {
  if (pod.hostNetwork) return { inject: false, reason: "host-network" };
  const podInject = pod.labels[L.podInject] ?? pod.annotations[L.podInject];
  if (podInject === "false") return { inject: false, reason: "opted-out" };
  const ns = namespaceInjection(nsLabels);
  if (ns.mode === "injection-label") return { inject: true, reason: "namespace-injection-label" };
  if (ns.mode === "disabled") return { inject: false, reason: "namespace-disabled" };
  if (ns.mode === "revision") return { inject: true, reason: "namespace-revision" };
  if (pod.labels[L.revision] !== undefined) return { inject: true, reason: "pod-revision" };
  if (podInject === "true") return { inject: true, reason: "pod-inject-label" };
  return { inject: false, reason: "not-selected" };
}

/**
 * Whether the template forces injection on its own, so that it would keep its sidecar after
 * step 3 removes the namespace label.
 */
export function templateForcesInjection(pod: PodTemplateFacts): string | undefined {
  if (pod.hostNetwork) return undefined;
  const podInject = pod.labels[L.podInject] ?? pod.annotations[L.podInject];
  if (podInject === "false") return undefined;
  if (pod.labels[L.revision] !== undefined) return `${L.revision}=${pod.labels[L.revision]}`;
  if (podInject === "true") return `${L.podInject}=true`;
  return undefined;
}
