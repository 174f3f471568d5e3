// How step 4 really renews a workload's pods. `kubectl rollout restart` only patches the pod
// template: a StatefulSet or DaemonSet with `updateStrategy: OnDelete` keeps its old pods
// until they are deleted, so those count as delete-pods.

import type { RestartMethod, Workload } from "../mesh/workloads.js";

export function restartMethodOf(workload: Workload): RestartMethod {
  if (
    (workload.kind === "StatefulSet" || workload.kind === "DaemonSet") &&
    workload.object.spec?.updateStrategy?.type === "OnDelete"
  )
    return "delete-pods";
  return workload.restart;
}

/** What a person must know about renewing this workload's pods, for notes and findings. */
export function restartExplanation(workload: Workload): string {
  const ref = `${workload.kind}/${workload.name}`;
  const method = restartMethodOf(workload);
  switch (workload.kind) {
    case "Deployment":
      return `${ref}: kubectl rollout restart replaces its pods under its rollout strategy`;
    case "StatefulSet":
      return method === "delete-pods"
        ? `${ref} has updateStrategy OnDelete: rollout restart changes nothing until each pod is deleted; delete its pods one at a time`
        : `${ref}: kubectl rollout restart replaces its pods one at a time, highest ordinal first`;
    case "DaemonSet":
      return method === "delete-pods"
        ? `${ref} has updateStrategy OnDelete: rollout restart changes nothing until each pod is deleted; delete its pods node by node`
        : `${ref}: kubectl rollout restart replaces its pods node by node (maxUnavailable)`;
    case "ReplicaSet":
      return `${ref} has no Deployment: delete its pods and the ReplicaSet re-creates them`;
    case "Job":
      return `${ref}: running pods finish with their sidecar; re-run the Job (delete and re-create it) if it must run in ambient mode`;
    case "CronJob":
      return `${ref}: its next scheduled run starts without a sidecar; running Jobs finish with theirs`;
    case "Pod":
      return `${ref} is a bare pod: delete it and re-create it from its manifest`;
  }
}
