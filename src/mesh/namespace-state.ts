// Where a namespace stands on the road from sidecars to ambient, read from its labels and pods.
// The journal of a migration run is more precise; this is what the cluster itself shows.

import { stepNumber } from "../plan/steps.js";
import { injectionLabels, type NamespaceInjection, namespaceInjection } from "./injection.js";
import { DATAPLANE_AMBIENT, L } from "./labels.js";

export type NamespaceMode =
  /** No injection label, not ambient, no sidecar pods. */
  | "not-meshed"
  /** Injected by `istio-injection=enabled` or `istio.io/rev`, not ambient. */
  | "sidecar"
  /** Some of the six steps done, not all. */
  | "migrating"
  /** Ambient, no injection label, no sidecar pods. */
  | "ambient";

interface NamespaceFacts {
  labels: Record<string, string>;
  /** Whether the Namespace object itself was seen (files may only reference a namespace). */
  known: boolean;
  podsWithSidecar: number;
  /** Workloads whose new pods would get a sidecar (templates already injected, or selected by the injector). */
  workloadsCarryingSidecar: number;
}

export interface NamespaceState {
  mode: NamespaceMode;
  /** A short phrase for tables, e.g. "sidecar (istio.io/rev=1-27)", "migrating: after step 2". */
  summary: string;
  injection: NamespaceInjection;
  ambient: boolean;
  useWaypoint: string | undefined;
  /** The last of the seed's steps 1..4 that the labels and pods show done (0 = none). */
  stepReached: number;
}

export function namespaceState(facts: NamespaceFacts): NamespaceState {
  const injection = namespaceInjection(facts.labels);
  const injecting = injectionLabels(facts.labels).length > 0;
  const ambient = facts.labels[L.dataplaneMode] === DATAPLANE_AMBIENT;
  const useWaypoint = facts.labels[L.useWaypoint];
  const sidecars = facts.podsWithSidecar > 0 || facts.workloadsCarryingSidecar > 0;
  const how =
    injection.mode === "injection-label"
      ? `${L.injection}=enabled`
      : injection.mode === "revision"
        ? `${L.revision}=${injection.value}`
        : "pod-level injection";

  let stepReached = 0;
  if (ambient)
    stepReached = stepNumber(injecting ? "enable-ambient" : sidecars ? "remove-injection" : "restart");
  else if (useWaypoint !== undefined && injecting) stepReached = stepNumber("activate-waypoint");

  let mode: NamespaceMode;
  let summary: string;
  if (!facts.known) {
    mode = sidecars ? "sidecar" : "not-meshed";
    summary = `${mode} (Namespace object not in the input: labels unknown)`;
  } else if (ambient && !injecting && !sidecars) {
    mode = "ambient";
    summary = useWaypoint ? `ambient (waypoint ${useWaypoint})` : "ambient";
  } else if (stepReached > 0) {
    mode = "migrating";
    summary = `migrating: after step ${stepReached}`;
  } else if (injecting || sidecars) {
    mode = "sidecar";
    summary = `sidecar (${how})`;
  } else {
    mode = "not-meshed";
    summary = injection.mode === "disabled" ? `not meshed (${L.injection}=${injection.value})` : "not meshed";
  }
  return { mode, summary, injection, ambient, useWaypoint, stepReached };
}
