// A fake cluster with just enough control plane for the executor's gates: the injector (a
// restart renews pods with or without a sidecar by the namespace's labels), the CNI (ambient pods
// without a sidecar get the redirection annotation), ztunnel (its config_dump is computed from
// the pods), and istiod programming waypoints. It counts the changes that really changed
// something, so tests can tell a repeated change from an idempotent one.

import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { httpError } from "../../../src/cluster/errors.js";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import type {
  ApplyOptions,
  DeleteOptions,
  DryRunOption,
  LabelValues,
  PatchLabelsResult,
  PortForwardResult,
} from "../../../src/cluster/port.js";
import type { ObjectRef } from "../../../src/inventory/identity.js";
import type { KubeObject } from "../../../src/inventory/model.js";
import { wouldInject } from "../../../src/mesh/injection.js";

export const NS = "shop";

export const INJECTOR_DOWN =
  'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": failed to call webhook: Post "https://istiod.istio-system.svc:443/inject?timeout=10s": dial tcp 10.96.0.10:443: connect: connection refused';

export function namespace(labels: Record<string, string>): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name: NS, labels } };
}

function podOf(deploy: string, serial: number, sidecar: boolean, ambient: boolean): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${deploy}-rs${serial}-x`,
      namespace: NS,
      labels: { app: deploy },
      annotations: {
        ...(sidecar ? { "sidecar.istio.io/status": "{}" } : {}),
        ...(ambient && !sidecar ? { "ambient.istio.io/redirection": "enabled" } : {}),
      },
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "ReplicaSet", name: `${deploy}-rs${serial}`, controller: true },
      ],
    },
    spec: {
      containers: [
        { name: deploy },
        ...(sidecar
          ? [{ name: "istio-proxy", env: [{ name: "ISTIO_META_ENABLE_HBONE", value: "true" }] }]
          : []),
      ],
    },
    status: { phase: "Running", podIP: `10.0.0.${serial}` },
  };
}

export function deployment(name: string, generation: number): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: NS, generation },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name }] } },
    },
    status: { observedGeneration: generation, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
  };
}

export const l7Policy: KubeObject = {
  apiVersion: "security.istio.io/v1",
  kind: "AuthorizationPolicy",
  metadata: { name: "web-get-only", namespace: NS },
  spec: {
    selector: { matchLabels: { app: "web" } },
    action: "ALLOW",
    rules: [{ to: [{ operation: { methods: ["GET"] } }] }],
  },
};

const ztunnelDs: KubeObject = {
  apiVersion: "apps/v1",
  kind: "DaemonSet",
  metadata: { name: "ztunnel", namespace: "istio-system", labels: { app: "ztunnel" } },
  spec: { selector: { matchLabels: { app: "ztunnel" } } },
};
const ztunnelPod: KubeObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "ztunnel-a", namespace: "istio-system", labels: { app: "ztunnel" } },
  spec: { containers: [{ name: "istio-proxy" }] },
  status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
};

export interface Effects {
  /** "Namespace/shop istio.io/rev" -> number of times its value really changed. */
  labels: Map<string, number>;
  rollouts: Map<string, number>;
  deleted: string[];
  created: string[];
}

export class SimCluster extends FakeClusterPort {
  readonly effects: Effects = { labels: new Map(), rollouts: new Map(), deleted: [], created: [] };
  /** ztunnel answers but lists nothing (a broken data plane). */
  ztunnelBroken = false;
  /**
   * How long a rollout takes (0: done at once). Meanwhile the Deployment goes through the states
   * its controller reports: new generation not observed yet, then the new pod beside the old one.
   */
  rolloutMs = 0;
  /** When each Deployment's last rollout completed (Date.now()). */
  readonly rolloutDone = new Map<string, number>();
  /** istiod stopped: its injection webhook fails for every pod it would inject. */
  istiodDown = false;
  private serial = 1;

  constructor(nsLabels: Record<string, string>, extra: KubeObject[] = [l7Policy]) {
    super();
    this.put(namespace(nsLabels));
    this.put(ztunnelDs);
    this.put(ztunnelPod);
    for (const d of ["web", "db"]) {
      this.put(deployment(d, 1));
      this.put({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: d, namespace: NS, labels: { app: d } },
        spec: { selector: { app: d }, ports: [{ name: "http", port: 8080 }] },
      });
      this.put(podOf(d, this.serial++, true, false));
    }
    for (const o of extra) this.put(o);
  }

  nsLabels(): Record<string, string> {
    return this.all().find((o) => o.kind === "Namespace" && o.metadata.name === NS)?.metadata.labels ?? {};
  }

  pods(): KubeObject[] {
    return this.all().filter((o) => o.kind === "Pod" && o.metadata.namespace === NS);
  }

  override async patchLabels(
    ref: ObjectRef,
    labels: LabelValues,
    options?: DryRunOption,
  ): Promise<PatchLabelsResult> {
    const result = await super.patchLabels(ref, labels, options);
    if (!options?.dryRun)
      for (const [k, v] of Object.entries(labels))
        if (result.previous[k] !== v) {
          const key = `${ref.kind}/${ref.name} ${k}`;
          this.effects.labels.set(key, (this.effects.labels.get(key) ?? 0) + 1);
        }
    return result;
  }

  override async apply(object: KubeObject, options: ApplyOptions = {}): Promise<KubeObject> {
    const existed =
      (await super.get({ ...object.metadata, apiVersion: object.apiVersion, kind: object.kind })) !==
      undefined;
    const stored = await super.apply(object, options);
    if (options.dryRun || object.kind === "ConfigMap" || object.kind === "Lease") return stored;
    if (!existed) this.effects.created.push(`${object.kind}/${object.metadata.name}`);
    // istiod accepts targetRefs policies and routes, and programs the waypoint.
    if (object.kind === "AuthorizationPolicy" && object.spec?.targetRefs)
      return this.put({ ...stored, status: { conditions: [{ type: "WaypointAccepted", status: "True" }] } });
    if (object.kind === "HTTPRoute")
      return this.put({
        ...stored,
        status: { parents: [{ conditions: [{ type: "Accepted", status: "True" }] }] },
      });
    if (object.kind !== "Gateway") return stored;
    // istiod programs the waypoint.
    return this.put({
      ...stored,
      status: { addresses: [{ value: "10.96.0.9" }], conditions: [{ type: "Programmed", status: "True" }] },
    });
  }

  override async delete(ref: ObjectRef, options: DeleteOptions = {}): Promise<boolean> {
    const gone = await super.delete(ref, options);
    if (gone && !options.dryRun && ref.kind !== "Lease" && ref.kind !== "Pod")
      this.effects.deleted.push(`${ref.kind}/${ref.name}`);
    return gone;
  }

  override async restart(ref: ObjectRef, options: DryRunOption & { at?: Date } = {}): Promise<KubeObject> {
    const before = await super.get(ref);
    const stamp = (o: KubeObject | undefined) =>
      o?.spec?.template?.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"];
    const after = await super.restart(ref, options);
    if (options.dryRun || stamp(before) === stamp(after)) return after;
    this.effects.rollouts.set(ref.name, (this.effects.rollouts.get(ref.name) ?? 0) + 1);
    // The Deployment controller and the injector: new pods by today's namespace labels and the
    // pod template (which may ask for a sidecar itself).
    const labels = this.nsLabels();
    const template = after.spec?.template?.metadata ?? {};
    const injecting = wouldInject(labels, {
      labels: template.labels ?? {},
      annotations: template.annotations ?? {},
      hostNetwork: false,
    }).inject;
    const ambient = labels["istio.io/dataplane-mode"] === "ambient";
    const old = this.pods().filter((p) => p.metadata.labels?.app === ref.name);
    const generation = Number(after.metadata.generation ?? 1) + 1;
    const renewed = { ...deployment(ref.name, generation), spec: after.spec };
    const complete = async () => {
      for (const p of old)
        await super.delete({ apiVersion: "v1", kind: "Pod", namespace: NS, name: p.metadata.name });
      if (this.rolloutMs === 0) this.put(podOf(ref.name, this.serial++, injecting, ambient));
      this.rolloutDone.set(ref.name, Date.now());
      return this.put(renewed);
    };
    if (this.rolloutMs === 0) return complete();
    // Not observed by the controller yet; then the new pod beside the old one; then done.
    const stored = this.put({
      ...renewed,
      status: { ...renewed.status, observedGeneration: generation - 1 },
    });
    setTimeout(() => {
      this.put(podOf(ref.name, this.serial++, injecting, ambient));
      this.put({ ...renewed, status: { ...renewed.status, replicas: 2, updatedReplicas: 1 } });
      setTimeout(() => void complete(), this.rolloutMs / 2);
    }, this.rolloutMs / 2);
    return stored;
  }

  /** The injector's webhook: pods sent to the apiserver get istio-proxy by the namespace's labels. */
  override async create(object: KubeObject, options: DryRunOption = {}): Promise<KubeObject> {
    if (object.kind !== "Pod") return super.create(object, options);
    if (this.istiodDown) {
      const labels = this.nsLabels();
      const matched = wouldInject(labels, {
        labels: object.metadata.labels ?? {},
        annotations: object.metadata.annotations ?? {},
        hostNetwork: false,
      }).inject;
      if (matched)
        throw httpError(500, JSON.stringify({ reason: "InternalError", message: INJECTOR_DOWN }), {
          verb: "create",
          group: "",
          resource: "pods",
          namespace: object.metadata.namespace as string,
        });
    }
    const pod = await super.create(object, options);
    const template = {
      labels: pod.metadata.labels ?? {},
      annotations: pod.metadata.annotations ?? {},
      hostNetwork: false,
    };
    if (wouldInject(this.nsLabels(), template).inject) pod.spec.containers.push({ name: "istio-proxy" });
    return pod;
  }

  override async portForwardGet(pod: { namespace: string; name: string }): Promise<PortForwardResult> {
    this.calls.push({
      verb: "create",
      resource: "pods/portforward",
      namespace: pod.namespace,
      name: pod.name,
    });
    const ambient = this.nsLabels()["istio.io/dataplane-mode"] === "ambient";
    const workloads =
      this.ztunnelBroken || !ambient
        ? []
        : this.pods().map((p) => ({
            uid: `Kubernetes//Pod/${NS}/${p.metadata.name}`,
            name: p.metadata.name,
            namespace: NS,
            protocol: "HBONE",
            nativeTunnel: p.spec.containers.some((c: { name: string }) => c.name === "istio-proxy"),
            status: "Healthy",
          }));
    return { status: 200, body: JSON.stringify({ workloads, services: [] }), via: "port-forward" };
  }
}

/** A holder identity of a process of this host that has exited: its lock may be taken over. */
export function deadHolder(): string {
  const child = spawnSync(process.execPath, ["-e", "0"]);
  return `${hostname()}-${child.pid}-dead00`;
}
