// Workloads whose identity SPIRE issues (Istio's SPIRE integration) are a hard blocker: ztunnel
// issues identities itself. The signs: the pod label Istio's SPIRE samples use, the SPIFFE CSI
// driver mounted into the pod, or the `spire` injection template.

import { A } from "../../mesh/labels.js";
import type { NamespaceCheck } from "../check.js";

const SPIFFE_CSI_DRIVER = "csi.spiffe.io";
const INJECT_TEMPLATES = "inject.istio.io/templates";

export const spireWorkloads: NamespaceCheck = (ctx) =>
  ctx.workloads().flatMap(({ workload }) => {
    const { labels, annotations, spec } = workload.template;
    const signs: string[] = [];
    if (labels[A.spiffe] !== undefined || annotations[A.spiffe] !== undefined)
      signs.push(`label ${A.spiffe}=${labels[A.spiffe] ?? annotations[A.spiffe]}`);
    const volumes = (
      (spec as { volumes?: { name?: string; csi?: { driver?: string } }[] })?.volumes ?? []
    ).filter((v) => v.csi?.driver === SPIFFE_CSI_DRIVER);
    if (volumes.length > 0) signs.push(`CSI volume ${volumes[0]?.name ?? ""} (driver ${SPIFFE_CSI_DRIVER})`);
    if ((annotations[INJECT_TEMPLATES] ?? "").split(",").some((t) => t.trim() === "spire"))
      signs.push(`annotation ${INJECT_TEMPLATES}=${annotations[INJECT_TEMPLATES]}`);
    if (signs.length === 0) return [];
    return [
      ctx.finding(
        "spire-managed-workload",
        workload.object,
        `${workload.kind} ${workload.name} gets its identity from SPIRE (${signs.join("; ")}); ambient mode does not support SPIRE-issued identities`,
        "keep this namespace in sidecar mode until the workload no longer relies on SPIRE",
      ),
    ];
  });
