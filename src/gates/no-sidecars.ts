// No pod of the namespace runs istio-proxy, except the workloads left to the user.

import type { ObjectRef } from "../inventory/identity.js";
import { K, kindInfo } from "../inventory/kinds.js";
import type { GateHandler } from "./handler.js";
import { exceptFilter } from "./lines.js";
import { hasSidecar, meshPod, names, podOwnedBy, watchUntil } from "./observe.js";

/** No pod runs istio-proxy (container or native sidecar), except workloads left to the user. */
export interface NoSidecarsGate {
  type: "no-sidecars";
  namespace: string;
  except: ObjectRef[];
}

export const noSidecars: GateHandler<NoSidecarsGate> = {
  describe: (gate) => `no pod of ${gate.namespace} runs istio-proxy`,
  verify: (gate) => [
    `! kubectl get pods -n ${gate.namespace} -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.containers[*].name}{" "}{.spec.initContainers[*].name}{"\\n"}{end}' | grep -w istio-proxy${exceptFilter(gate.except)}  # no pod runs istio-proxy`,
  ],
  observe: (gate, ctx) =>
    watchUntil(
      ctx,
      kindInfo(K.Pod),
      gate.namespace,
      (pods) => {
        const left = pods.filter((p) => meshPod(p) && !podOwnedBy(p, gate.except) && hasSidecar(p));
        return left.length === 0 ? undefined : `${left.length} pod(s) with a sidecar: ${names(left)}`;
      },
      noSidecars.describe(gate),
    ),
};
