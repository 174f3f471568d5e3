// Each pod's data plane, in the one table the migration guide needs two istioctl commands for
// (`proxy-status` for sidecars, `ztunnel-config workloads` for ambient): a sidecar (from the pod
// spec), ztunnel (ztunnel's own config_dump lists it as HBONE that it terminates, with its
// waypoint), or none.

import { capturedByZtunnel, type ZtunnelConfig } from "../cluster/ztunnel.js";
import { K } from "../inventory/kinds.js";
import { annotationsOf, type Inventory } from "../inventory/model.js";
import { sidecarFacts } from "./sidecar.js";

interface PodDataplane {
  namespace: string;
  pod: string;
  node: string;
  /**
   * gateway: the pod is itself a proxy deployed for a Gateway (a waypoint, an ingress), not an
   * injected sidecar. unknown: no sidecar, and ztunnel's view could not be read (manifests, no ztunnel).
   */
  dataplane: "sidecar" | "ztunnel" | "gateway" | "none" | "unknown";
  /** As ztunnel lists the pod (HBONE, TCP), or "-" when it does not (or was not read). */
  protocol: string;
  /** The waypoint ztunnel sends the pod's traffic through, "-" for none. */
  waypoint: string;
  /**
   * A sidecar's xDS sync with istiod, from istiod's /debug/syncz (as istioctl proxy-status): SYNCED
   * with the types pushed, STALE with those not acknowledged, "not connected", or why it was not read.
   */
  istiodSync?: string;
}

const GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";

/** Said for every sidecar when istiod's sync states could not be read. */
export const SYNC_NOT_READ = "not read: istioctl proxy-status";

/** ztunnel: its config, or why it was not read (files, not installed...). */
export function podDataplanes(
  inventory: Inventory,
  namespaces: readonly string[],
  ztunnel: ZtunnelConfig | undefined,
  /** istiod's sync state per "pod.namespace" (readSyncz); undefined when not read. */
  sync?: ReadonlyMap<string, string>,
): PodDataplane[] {
  return namespaces.flatMap((namespace) => {
    const listed = new Map((ztunnel?.workloadsIn(namespace) ?? []).map((w) => [w.name, w]));
    return inventory
      .inNamespace(K.Pod, namespace)
      .map((pod): PodDataplane => {
        const name = pod.metadata.name;
        const workload = listed.get(name);
        // Istio labels the pods it deploys for a Gateway with the Gateway's name.
        const gateway = pod.metadata.labels?.[GATEWAY_NAME_LABEL] !== undefined;
        const sidecar = !gateway && sidecarFacts(pod.spec, annotationsOf(pod)).hasSidecar;
        const dataplane = gateway
          ? "gateway"
          : sidecar
            ? "sidecar"
            : !ztunnel
              ? "unknown"
              : workload && capturedByZtunnel(workload)
                ? "ztunnel"
                : "none";
        return {
          namespace,
          pod: name,
          node: (pod.spec?.nodeName as string | undefined) ?? "-",
          dataplane,
          protocol: workload?.protocol ?? "-",
          waypoint: workload?.waypoint ?? "-",
          ...(sidecar
            ? { istiodSync: sync ? (sync.get(`${name}.${namespace}`) ?? "not connected") : SYNC_NOT_READ }
            : {}),
        };
      })
      .sort((a, b) => a.pod.localeCompare(b.pod));
  });
}
