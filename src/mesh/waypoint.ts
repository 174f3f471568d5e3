// Waypoint facts: what a waypoint Gateway looks like (as `istioctl waypoint apply` writes it),
// and which waypoint a namespace uses. istiod creates the Deployment, ServiceAccount and Service
// of the same name; it ignores a waypoint until the Gateway has status.addresses.

import type { KubeObject } from "../inventory/model.js";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../ownership.js";
import { DEFAULT_WAYPOINT, L, WAYPOINT_CLASS } from "./labels.js";

const WAYPOINT_API_VERSION = "gateway.networking.k8s.io/v1";
const WAYPOINT_LISTENER = { name: "mesh", port: 15008, protocol: "HBONE" } as const;

export function isWaypoint(gateway: KubeObject): boolean {
  return gateway.spec?.gatewayClassName === WAYPOINT_CLASS;
}

/** Names the first translated source that needs the waypoint the tool creates (`Kind/namespace/name`). */
const NEEDED_BY_ANNOTATION = "ambient-migrate/needed-by";

/**
 * The waypoint Gateway the tool creates for a namespace, serving traffic addressed to its
 * Services: the one builder, for `plan` and `translate` alike.
 */
export function waypointGateway(
  namespace: string,
  name: string = DEFAULT_WAYPOINT,
  neededBy?: string,
): KubeObject {
  return {
    apiVersion: WAYPOINT_API_VERSION,
    kind: "Gateway",
    metadata: {
      name,
      namespace,
      labels: { [L.waypointFor]: "service", [MANAGED_BY_LABEL]: MANAGED_BY },
      ...(neededBy ? { annotations: { [NEEDED_BY_ANNOTATION]: neededBy } } : {}),
    },
    spec: {
      gatewayClassName: WAYPOINT_CLASS,
      listeners: [{ ...WAYPOINT_LISTENER }],
    },
  };
}

/** The waypoint a namespace's labels point at (use-waypoint, optionally in another namespace). */
export function namespaceWaypointRef(
  namespace: string,
  nsLabels: Record<string, string>,
): { name: string; namespace: string; labelled: boolean } {
  const name = nsLabels[L.useWaypoint];
  if (name === undefined || name === "none") return { name: DEFAULT_WAYPOINT, namespace, labelled: false };
  return { name, namespace: nsLabels[L.useWaypointNamespace] ?? namespace, labelled: true };
}
