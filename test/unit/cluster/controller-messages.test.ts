// Why pods are not created, in the controllers' words (ReplicaFailure, FailedCreate events).
import { describe, expect, it } from "vitest";
import { controllerMessages } from "../../../src/cluster/controller-messages.js";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import type { KubeObject } from "../../../src/inventory/model.js";

const quota =
  'pods "web-7d9-x" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2';
const webhook =
  'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": failed to call webhook: Post "https://istiod.istio-system.svc:443/inject?timeout=10s": dial tcp 10.96.0.10:443: connect: connection refused';

const deployment: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", generation: 2 },
  spec: { replicas: 1 },
  status: {
    observedGeneration: 2,
    conditions: [
      { type: "Progressing", status: "True", reason: "ReplicaSetUpdated", message: "progressing" },
    ],
  },
};

const rs = (name: string, rev: number, failure?: string): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: {
    name,
    namespace: "shop",
    annotations: { "deployment.kubernetes.io/revision": String(rev) },
    ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", controller: true }],
  },
  status: failure
    ? { conditions: [{ type: "ReplicaFailure", status: "True", reason: "FailedCreate", message: failure }] }
    : {},
});

const event = (
  name: string,
  kind: string,
  object: string,
  reason: string,
  message: string,
  time: string,
): KubeObject => ({
  apiVersion: "v1",
  kind: "Event",
  metadata: { name, namespace: "shop" },
  type: "Warning",
  reason,
  message,
  involvedObject: { kind, name: object, namespace: "shop" },
  lastTimestamp: time,
});

describe("controllerMessages", () => {
  it("reads the newest ReplicaSet's ReplicaFailure and the FailedCreate events, each message once", async () => {
    const port = new FakeClusterPort([
      deployment,
      rs("web-old", 1, "an old failure that no longer matters"),
      rs("web-7d9", 2, webhook),
      event("e1", "ReplicaSet", "web-7d9", "FailedCreate", webhook, "2026-12-01T08:00:02Z"),
      event("e2", "ReplicaSet", "web-7d9", "FailedCreate", quota, "2026-12-01T08:00:01Z"),
      event("e3", "ReplicaSet", "other-1", "FailedCreate", "not ours", "2026-12-01T08:00:03Z"),
      event("e4", "Pod", "web-7d9-y", "BackOff", "unrelated", "2026-12-01T08:00:04Z"),
    ]);
    expect(await controllerMessages(port, deployment)).toEqual([
      `ReplicaSet web-7d9 FailedCreate: ${webhook}`,
      `ReplicaSet web-7d9 FailedCreate: ${quota}`,
    ]);
  });

  it("reads a StatefulSet's own FailedCreate events (PodSecurity)", async () => {
    const sts: KubeObject = {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "db", namespace: "shop" },
    };
    const denied =
      'create Pod db-0 in StatefulSet db failed error: pods "db-0" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false';
    const port = new FakeClusterPort([
      sts,
      event("e1", "StatefulSet", "db", "FailedCreate", denied, "2026-12-01T08:00:00Z"),
    ]);
    expect(await controllerMessages(port, sts)).toEqual([`StatefulSet db FailedCreate: ${denied}`]);
  });

  it("says nothing when the controllers report nothing wrong", async () => {
    const port = new FakeClusterPort([deployment, rs("web-7d9", 2)]);
    expect(await controllerMessages(port, deployment)).toEqual([]);
  });
});
