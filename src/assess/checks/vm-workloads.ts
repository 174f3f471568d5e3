// VMs (WorkloadEntry / WorkloadGroup) cannot join ambient mode: Istio's guide lists them as a
// hard blocker for the namespace that holds them.

import { K } from "../../inventory/kinds.js";
import type { NamespaceCheck } from "../check.js";

export const vmWorkloads: NamespaceCheck = (ctx) => [
  ...ctx
    .list(K.WorkloadEntry)
    .map((we) =>
      ctx.finding(
        "vm-workload-entry",
        we,
        `WorkloadEntry ${we.metadata.name} (address ${we.spec?.address ?? "unknown"}) is a VM workload; ambient mode does not support VMs`,
        "keep this namespace in sidecar mode, or move the VM workload out of the mesh first",
      ),
    ),
  ...ctx
    .list(K.WorkloadGroup)
    .map((wg) =>
      ctx.finding(
        "vm-workload-group",
        wg,
        `WorkloadGroup ${wg.metadata.name} registers VM workloads; ambient mode does not support VMs`,
        "keep this namespace in sidecar mode, or move the VM workloads out of the mesh first",
      ),
    ),
];
