// Whether istiod can serve the migration right now, asked the way the cluster itself finds out:
// a server-side dry-run Pod in the namespace goes through the same admission webhooks as a
// workload's next pod, so when istiod's injector cannot be called the apiserver answers with
// its own error (`failed calling webhook "namespace.sidecar-injector.istio.io": ... connection
// refused`) and nothing is created. An istiod Deployment without an available replica says the
// same before any pod is tried.

import { K, kindInfo } from "../inventory/kinds.js";
import type { KubeObject } from "../inventory/model.js";
import { ClusterRequestError, refusedByAdmission } from "./errors.js";
import type { ClusterPort } from "./port.js";

interface InjectorVerdict {
  /** The webhook answered (or no webhook applies). */
  reachable: boolean;
  /** The dry-run pod came back with istio-proxy. */
  injected: boolean;
  /** The webhook that failed, as the apiserver names it. */
  webhook?: string;
  /** The apiserver's own words. */
  message?: string;
  /**
   * Admission refused the dry-run pod after the mutating webhooks had run (a quota, PodSecurity):
   * the injector answered, but what it would inject cannot be seen. The refusal's words.
   */
  refused?: string;
}

const PROBE_PREFIX = "ambient-migrate-probe-";

/** A webhook failure in an apiserver answer: the webhook's name and the whole message. */
function webhookFailure(err: unknown): { webhook: string; message: string } | undefined {
  if (!(err instanceof ClusterRequestError)) return undefined;
  const at = err.message.search(/(Internal error occurred: )?failed calling webhook/);
  if (at < 0) return undefined;
  const message = err.message.slice(at);
  return { webhook: /failed calling webhook "([^"]+)"/.exec(message)?.[1] ?? "unknown", message };
}

function hasProxy(pod: KubeObject): boolean {
  const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map(
    (c: { name?: string }) => c.name,
  );
  return names.includes("istio-proxy");
}

/**
 * Sends a pod (a workload's template, or a minimal pod that asks for injection) to the
 * apiserver as a server-side dry run in the namespace, and reports what the injector did.
 */
export async function probeInjector(
  port: ClusterPort,
  namespace: string,
  template?: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: unknown;
  },
): Promise<InjectorVerdict> {
  const pod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "",
      generateName: PROBE_PREFIX,
      namespace,
      labels: template?.metadata?.labels ?? { "sidecar.istio.io/inject": "true" },
      ...(template?.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
    },
    spec: template?.spec ?? { containers: [{ name: "probe", image: "registry.k8s.io/pause:3.10" }] },
  };
  try {
    const created = await port.create(pod, { dryRun: true });
    return { reachable: true, injected: hasProxy(created) };
  } catch (err) {
    const failed = webhookFailure(err);
    if (!failed && refusedByAdmission(err)) return { reachable: true, injected: false, refused: err.message };
    if (!failed) throw err;
    return { reachable: false, injected: false, ...failed };
  }
}

/** undefined when istiod looks able to serve; else why not, in the cluster's words. */
export async function istiodUnreachable(port: ClusterPort, namespace: string): Promise<string | undefined> {
  const deployments = (await port.list(kindInfo(K.Deployment), undefined, { labelSelector: "app=istiod" }))
    .items;
  if (deployments.length > 0 && !deployments.some((d) => (d.status?.availableReplicas ?? 0) > 0)) {
    const d = deployments[0] as KubeObject;
    const available = ((d.status?.conditions ?? []) as { type?: string; message?: string }[]).find(
      (c) => c.type === "Available",
    );
    return `Deployment ${d.metadata.namespace}/${d.metadata.name} has no available replica${available?.message ? ` (${available.message})` : ""}`;
  }
  const verdict = await probeInjector(port, namespace);
  return verdict.reachable ? undefined : `its injection webhook fails: ${verdict.message}`;
}
