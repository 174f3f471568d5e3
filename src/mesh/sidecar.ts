// Recognising a sidecar in a pod or pod template. A sidecar is `istio-proxy` in
// spec.containers, or in spec.initContainers with restartPolicy Always (native sidecars).

import { A, HBONE_ENV, SIDECAR_CONTAINER, SIDECAR_INIT_CONTAINERS } from "./labels.js";

interface Container {
  name?: string;
  restartPolicy?: string;
  env?: { name?: string; value?: string }[];
}

export interface PodSpecLike {
  containers?: Container[];
  initContainers?: Container[];
  hostNetwork?: boolean;
}

export interface SidecarFacts {
  hasSidecar: boolean;
  /** istio-proxy runs as an init container with restartPolicy Always. */
  native: boolean;
  /** The sidecar speaks HBONE (ISTIO_META_ENABLE_HBONE=true), so ambient peers can reach it. */
  hboneCapable: boolean;
}

export function sidecarFacts(
  spec: PodSpecLike | undefined,
  annotations: Record<string, string> = {},
): SidecarFacts {
  // A pod whose only container is istio-proxy is a proxy itself (ztunnel, a gateway, a waypoint), not a sidecar.
  const containers = spec?.containers ?? [];
  const inMain = containers.length > 1 ? containers.find((c) => c.name === SIDECAR_CONTAINER) : undefined;
  const inInit = (spec?.initContainers ?? []).find(
    (c) => c.name === SIDECAR_CONTAINER && c.restartPolicy === "Always",
  );
  const proxy = inMain ?? inInit;
  const hasInitHelpers = (spec?.initContainers ?? []).some((c) =>
    (SIDECAR_INIT_CONTAINERS as readonly string[]).includes(c.name ?? ""),
  );
  const hasSidecar = proxy !== undefined || (annotations[A.sidecarStatus] !== undefined && hasInitHelpers);
  const hbone = proxy?.env?.some((e) => e.name === HBONE_ENV && e.value === "true") ?? false;
  return { hasSidecar, native: inMain === undefined && inInit !== undefined, hboneCapable: hbone };
}
