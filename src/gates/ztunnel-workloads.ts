// ztunnel lists every pod of the namespace with protocol HBONE.

import type { GateHandler } from "./handler.js";
import { pollZtunnel, ztunnelPending } from "./observe.js";

/** Every pod of the namespace is listed by ztunnel with protocol HBONE. */
export interface ZtunnelWorkloadsGate {
  type: "ztunnel-workloads";
  namespace: string;
}

export const ztunnelWorkloads: GateHandler<ZtunnelWorkloadsGate> = {
  describe: (gate) => `ztunnel lists every pod of ${gate.namespace} with protocol HBONE`,
  verify: (gate) => [
    `istioctl ztunnel-config workloads --workload-namespace ${gate.namespace}  # every pod listed, PROTOCOL HBONE`,
  ],
  // Sidecar pods count too: before step 4 they show HBONE through their own HBONE-capable sidecar.
  observe: (gate, ctx) =>
    pollZtunnel(
      ctx,
      (config, pods) => ztunnelPending(config, pods, gate.namespace, (w) => w.protocol === "HBONE"),
      gate.namespace,
      ztunnelWorkloads.describe(gate),
    ),
};
