// Workload facts that change how steps 3 and 4 go: templates that inject on their own, native
// and non-HBONE sidecars, hostNetwork pods, and controllers that `rollout restart` cannot renew.

import { annotationsOf } from "../../inventory/model.js";
import { A, HBONE_ENV } from "../../mesh/labels.js";
import { sidecarFacts } from "../../mesh/sidecar.js";
import type { NamespaceCheck } from "../check.js";
import type { Finding } from "../finding.js";
import { restartExplanation, restartMethodOf } from "../restart.js";

export const workloadChecks: NamespaceCheck = (ctx) => {
  const meshed = ctx.state().mode !== "not-meshed" && ctx.state().mode !== "ambient";
  const out: Finding[] = [];
  for (const { workload, sidecar } of ctx.workloads()) {
    const ref = `${workload.kind} ${workload.name}`;
    if (sidecar.forcedBy) {
      out.push(
        ctx.finding(
          "template-forces-injection",
          workload.object,
          `${ref}'s pod template carries ${sidecar.forcedBy}: it keeps getting a sidecar after step 3 removes the namespace label`,
          `remove ${sidecar.forcedBy.split("=")[0]} from the pod template (in its source manifests) before step 4`,
        ),
      );
    }
    const podFacts = workload.pods.map((p) => sidecarFacts(p.spec, annotationsOf(p)));
    const native =
      sidecar.templateHasSidecar.native ||
      podFacts.some((f) => f.native) ||
      workload.template.annotations[A.nativeSidecar] === "true";
    if (native) {
      out.push(
        ctx.finding(
          "native-sidecar",
          workload.object,
          `${ref} runs istio-proxy as a native sidecar (an init container with restartPolicy Always)`,
          "nothing to change; look for istio-proxy among init containers when checking that sidecars are gone",
        ),
      );
    }
    const withSidecar = podFacts.filter((f) => f.hasSidecar);
    const notHbone =
      withSidecar.filter((f) => !f.hboneCapable).length +
      (sidecar.templateHasSidecar.hasSidecar && !sidecar.templateHasSidecar.hboneCapable ? 1 : 0);
    if (notHbone > 0) {
      out.push(
        ctx.finding(
          "sidecar-not-hbone",
          workload.object,
          `${ref} has ${withSidecar.length > 0 ? `${notHbone} pod(s) whose` : "a pod template whose"} istio-proxy lacks ${HBONE_ENV}=true: ambient clients cannot reach it over HBONE while the namespace migrates`,
          "install the ambient components, then restart the sidecar workloads once so that they come back HBONE-capable, before step 1",
        ),
      );
    }
    if (workload.template.hostNetwork && meshed) {
      out.push(
        ctx.finding(
          "host-network-pod",
          workload.object,
          `${ref} uses hostNetwork: it has no sidecar now and ambient mode does not capture it either`,
          "nothing to migrate for it; its traffic stays outside the mesh",
        ),
      );
    }
    if (sidecar.carriesSidecar && workload.kind !== "Deployment") {
      const manual = restartMethodOf(workload) !== "rollout-restart";
      out.push(
        ctx.finding(
          manual ? "sidecar-workload-manual-restart" : "sidecar-workload-rollout-restart",
          workload.object,
          `${ref} carries sidecars; ${restartExplanation(workload)}`,
          manual
            ? "renew its pods by hand in step 4 as described"
            : "step 4 restarts it with the Deployments",
        ),
      );
    }
  }
  return out;
};
