// The workloads of a namespace: controllers with a pod template, and pods no controller owns.
// From files we see templates; from a cluster we also see the pods they run.

import { K } from "../inventory/kinds.js";
import { annotationsOf, type Inventory, type KubeObject } from "../inventory/model.js";
import { type PodTemplateFacts, templateForcesInjection, wouldInject } from "./injection.js";
import { A } from "./labels.js";
import { type PodSpecLike, type SidecarFacts, sidecarFacts } from "./sidecar.js";

type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob" | "Pod";

/** How step 4 gets new pods for a workload. */
export type RestartMethod = "rollout-restart" | "delete-pods" | "next-schedule" | "recreate-by-user";

export interface Workload {
  kind: WorkloadKind;
  name: string;
  namespace: string;
  object: KubeObject;
  template: PodTemplateFacts & { spec: PodSpecLike | undefined };
  restart: RestartMethod;
  /** Pods of this workload seen in the inventory (live clusters only). */
  pods: KubeObject[];
}

export interface WorkloadSidecarState {
  /** The template itself already holds istio-proxy (manifests run through istioctl kube-inject). */
  templateHasSidecar: SidecarFacts;
  /** New pods would get a sidecar from the injector in the namespace as it is labelled now. */
  injectedNow: boolean;
  /** Running pods that have a sidecar. */
  podsWithSidecar: number;
  /** Running pods enrolled by the CNI (`ambient.istio.io/redirection: enabled`). */
  podsRedirected: number;
  /** The template forces injection by itself (survives step 3), e.g. `sidecar.istio.io/inject=true`. */
  forcedBy: string | undefined;
  /** Whether the workload has or will get a sidecar in sidecar mode: what step 4 must restart. */
  carriesSidecar: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: raw template
function templateFacts(template: any): Workload["template"] {
  return {
    labels: template?.metadata?.labels ?? {},
    annotations: template?.metadata?.annotations ?? {},
    hostNetwork: template?.spec?.hostNetwork === true,
    spec: template?.spec,
  };
}

function controllerOwner(object: KubeObject): { kind: string; name: string } | undefined {
  const owner =
    object.metadata.ownerReferences?.find((o) => o.controller) ?? object.metadata.ownerReferences?.[0];
  return owner ? { kind: owner.kind, name: owner.name } : undefined;
}

export function workloadsIn(inventory: Inventory, namespace: string): Workload[] {
  const out: Workload[] = [];
  const byKey = new Map<string, Workload>();
  const add = (kind: WorkloadKind, object: KubeObject, template: unknown, restart: RestartMethod) => {
    const w: Workload = {
      kind,
      name: object.metadata.name,
      namespace,
      object,
      template: templateFacts(template),
      restart,
      pods: [],
    };
    out.push(w);
    byKey.set(`${kind}/${w.name}`, w);
  };
  for (const o of inventory.inNamespace(K.Deployment, namespace))
    add("Deployment", o, o.spec?.template, "rollout-restart");
  for (const o of inventory.inNamespace(K.StatefulSet, namespace))
    add("StatefulSet", o, o.spec?.template, "rollout-restart");
  for (const o of inventory.inNamespace(K.DaemonSet, namespace))
    add("DaemonSet", o, o.spec?.template, "rollout-restart");
  for (const o of inventory.inNamespace(K.CronJob, namespace)) {
    add("CronJob", o, o.spec?.jobTemplate?.spec?.template, "next-schedule");
  }
  // ReplicaSets and Jobs owned by a Deployment / CronJob belong to their owner.
  const rsOwner = new Map<string, string>();
  for (const o of inventory.inNamespace(K.ReplicaSet, namespace)) {
    const owner = controllerOwner(o);
    if (owner?.kind === "Deployment") rsOwner.set(o.metadata.name, `Deployment/${owner.name}`);
    else add("ReplicaSet", o, o.spec?.template, "delete-pods");
  }
  const jobOwner = new Map<string, string>();
  for (const o of inventory.inNamespace(K.Job, namespace)) {
    const owner = controllerOwner(o);
    if (owner?.kind === "CronJob") jobOwner.set(o.metadata.name, `CronJob/${owner.name}`);
    else add("Job", o, o.spec?.template, "recreate-by-user");
  }
  for (const pod of inventory.inNamespace(K.Pod, namespace)) {
    const owner = controllerOwner(pod);
    let key: string | undefined;
    if (!owner) key = undefined;
    else if (owner.kind === "ReplicaSet") key = rsOwner.get(owner.name) ?? `ReplicaSet/${owner.name}`;
    else if (owner.kind === "Job") key = jobOwner.get(owner.name) ?? `Job/${owner.name}`;
    else key = `${owner.kind}/${owner.name}`;
    const workload = key ? byKey.get(key) : undefined;
    if (workload) workload.pods.push(pod);
    else if (!owner) {
      add("Pod", pod, { metadata: pod.metadata, spec: pod.spec }, "recreate-by-user");
      byKey.get(`Pod/${pod.metadata.name}`)?.pods.push(pod);
    }
    // Pods whose owner is not in the inventory (e.g. a DaemonSet of another kind) are left out.
  }
  return out;
}

export function sidecarStateOf(workload: Workload, nsLabels: Record<string, string>): WorkloadSidecarState {
  const templateHasSidecar = sidecarFacts(workload.template.spec, workload.template.annotations);
  const injectedNow = wouldInject(nsLabels, workload.template).inject;
  let podsWithSidecar = 0;
  let podsRedirected = 0;
  for (const pod of workload.pods) {
    if (sidecarFacts(pod.spec, annotationsOf(pod)).hasSidecar) podsWithSidecar++;
    if (annotationsOf(pod)[A.redirection] === "enabled") podsRedirected++;
  }
  const forcedBy = templateForcesInjection(workload.template);
  return {
    templateHasSidecar,
    injectedNow,
    podsWithSidecar,
    podsRedirected,
    forcedBy,
    carriesSidecar: templateHasSidecar.hasSidecar || injectedNow || podsWithSidecar > 0,
  };
}
