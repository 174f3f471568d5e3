// Gates that wait on a failing cluster say why: istiod unreachable, or the controllers' words.
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { httpError } from "../../../src/cluster/errors.js";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import type { DryRunOption } from "../../../src/cluster/port.js";
import { observeWithFaults } from "../../../src/gates/faults.js";
import type { KubeObject } from "../../../src/inventory/model.js";

const refused =
  'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": failed to call webhook: Post "https://127.0.0.1:15017/inject?timeout=10s": dial tcp 127.0.0.1:15017: connect: connection refused';

class Cluster extends FakeClusterPort {
  istiodDown = true;
  override async create(object: KubeObject, options?: DryRunOption): Promise<KubeObject> {
    if (this.istiodDown)
      throw httpError(500, JSON.stringify({ message: refused }), {
        verb: "create",
        group: "",
        resource: "pods",
      });
    return super.create(object, options);
  }
}

const failing = (ms: number) => async () => {
  await sleep(ms);
  return { passed: false, detail: "waypoint shop/waypoint Programmed=True: not Programmed=True yet" };
};

describe("observeWithFaults", () => {
  it("a gate that needs istiod says 'waiting: istiod unreachable' and fails with it", async () => {
    const port = new Cluster();
    const lines: string[] = [];
    const outcome = await observeWithFaults(
      { type: "waypoint-programmed", namespace: "shop" },
      {
        port,
        signal: new AbortController().signal,
        progress: (l) => lines.push(l),
        faultProbeIntervalMs: 10,
      },
      failing(120),
    );
    expect(lines).toEqual([`  waiting: istiod unreachable: its injection webhook fails: ${refused}`]);
    expect(outcome.detail).toBe(
      `waypoint shop/waypoint Programmed=True: not Programmed=True yet; istiod unreachable: its injection webhook fails: ${refused}`,
    );
  });

  it("says when istiod answers again, and a passing gate is not changed", async () => {
    const port = new Cluster();
    const lines: string[] = [];
    const outcome = await observeWithFaults(
      { type: "ztunnel-workloads", namespace: "shop" },
      {
        port,
        signal: new AbortController().signal,
        progress: (l) => lines.push(l),
        faultProbeIntervalMs: 10,
      },
      async () => {
        await sleep(40);
        port.istiodDown = false;
        await sleep(60);
        return { passed: true, detail: "ok" };
      },
    );
    expect(outcome).toEqual({ passed: true, detail: "ok" });
    expect(lines.at(-1)).toBe("  istiod answers again");
  });

  it("a rollout gate prints the ReplicaSet's ReplicaFailure message", async () => {
    const quota =
      'pods "web-1-x" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1';
    const port = new Cluster([
      { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "shop" }, status: {} },
      {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: {
          name: "web-1",
          namespace: "shop",
          annotations: { "deployment.kubernetes.io/revision": "2" },
          ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "web" }],
        },
        status: {
          conditions: [{ type: "ReplicaFailure", status: "True", reason: "FailedCreate", message: quota }],
        },
      },
    ]);
    const lines: string[] = [];
    const outcome = await observeWithFaults(
      {
        type: "rollouts-complete",
        targets: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" }],
      },
      {
        port,
        signal: new AbortController().signal,
        progress: (l) => lines.push(l),
        faultProbeIntervalMs: 10,
      },
      failing(80),
    );
    expect(lines).toEqual([`  waiting: ReplicaSet web-1 FailedCreate: ${quota}`]);
    expect(outcome.detail).toContain(`ReplicaSet web-1 FailedCreate: ${quota}`);
  });
});
