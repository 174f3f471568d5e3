// The waypoint Gateways translated objects need: istioctl's default (`waypoint apply -n NS`),
// only in namespaces that have none yet.

import { K } from "../inventory/kinds.js";
import type { Inventory, KubeObject } from "../inventory/model.js";
import { DEFAULT_WAYPOINT, L, WAYPOINT_CLASS } from "../mesh/labels.js";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../ownership.js";

/** The waypoint Gateway already in the namespace, if any. */
export function existingWaypoint(inventory: Inventory, namespace: string): KubeObject | undefined {
  return inventory.inNamespace(K.Gateway, namespace).find((g) => g.spec?.gatewayClassName === WAYPOINT_CLASS);
}

/** The name of the namespace's waypoint: the existing one, or the default the translation creates. */
export function waypointName(inventory: Inventory, namespace: string): string {
  return existingWaypoint(inventory, namespace)?.metadata.name ?? DEFAULT_WAYPOINT;
}

export function waypointGateway(namespace: string, reason: string): KubeObject {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: {
      name: DEFAULT_WAYPOINT,
      namespace,
      labels: { [L.waypointFor]: "service", [MANAGED_BY_LABEL]: MANAGED_BY },
      annotations: { "ambient-migrate/needed-by": reason },
    },
    spec: {
      gatewayClassName: WAYPOINT_CLASS,
      listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }],
    },
  };
}
