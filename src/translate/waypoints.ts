// The waypoint translated objects attach to: the namespace's own, or the default name the
// translation creates (mesh/waypoint.ts builds it) in a namespace that has none yet.

import { K } from "../inventory/kinds.js";
import type { Inventory, KubeObject } from "../inventory/model.js";
import { DEFAULT_WAYPOINT, WAYPOINT_CLASS } from "../mesh/labels.js";

/** The waypoint Gateway already in the namespace, if any. */
export function existingWaypoint(inventory: Inventory, namespace: string): KubeObject | undefined {
  return inventory.inNamespace(K.Gateway, namespace).find((g) => g.spec?.gatewayClassName === WAYPOINT_CLASS);
}

/** The name of the namespace's waypoint: the existing one, or the default the translation creates. */
export function waypointName(inventory: Inventory, namespace: string): string {
  return existingWaypoint(inventory, namespace)?.metadata.name ?? DEFAULT_WAYPOINT;
}
