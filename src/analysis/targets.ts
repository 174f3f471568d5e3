// The Services an analysis judges in a namespace, and whether their traffic goes through a
// waypoint once migrated (a Service's own istio.io/use-waypoint label wins over the namespace's
// waypoint; "none" opts out). Waypoint Services themselves and Services without a selector are
// left out: no workload of the namespace answers them.

import { K } from "../inventory/kinds.js";
import { type Inventory, labelsOf } from "../inventory/model.js";
import type { NamespacePlan } from "../plan/model.js";
import type { ServiceTarget } from "./model.js";

const USE_WAYPOINT = "istio.io/use-waypoint";
const GATEWAY_NAME = "gateway.networking.k8s.io/gateway-name";

export function serviceTargets(inventory: Inventory, plan: NamespacePlan): ServiceTarget[] {
  return inventory
    .inNamespace(K.Service, plan.namespace)
    .filter((s) => !labelsOf(s)[GATEWAY_NAME] && Object.keys(s.spec?.selector ?? {}).length > 0)
    .map((s) => {
      const own = labelsOf(s)[USE_WAYPOINT];
      return { name: s.metadata.name, waypoint: own !== undefined ? own !== "none" : plan.waypoint.needed };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
