// The waypoint Gateway is programmed: istiod ignores a waypoint before it has status.addresses.

import { K, kindInfo } from "../inventory/kinds.js";
import type { GateHandler } from "./handler.js";
import { conditionTrue, watchUntil } from "./observe.js";

/** The waypoint Gateway has condition Programmed=True (istiod ignores it before status.addresses). */
export interface WaypointProgrammedGate {
  type: "waypoint-programmed";
  namespace: string;
  name: string;
}

export const waypointProgrammed: GateHandler<WaypointProgrammedGate> = {
  describe: (gate) => `waypoint ${gate.namespace}/${gate.name} Programmed=True`,
  verify: (gate) => [
    `kubectl wait --for=condition=Programmed=True gateways.gateway.networking.k8s.io/${gate.name} -n ${gate.namespace} --timeout=300s`,
  ],
  observe: (gate, ctx) =>
    watchUntil(
      ctx,
      kindInfo(K.Gateway),
      gate.namespace,
      (gateways) => {
        const g = gateways.find((o) => o.metadata.name === gate.name);
        if (!g) return "the Gateway does not exist";
        if (!conditionTrue(g.status?.conditions, "Programmed")) return "not Programmed=True yet";
        return (g.status?.addresses ?? []).length > 0 ? undefined : "no status.addresses yet";
      },
      waypointProgrammed.describe(gate),
    ),
};
