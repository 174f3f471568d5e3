// The gates' judgments on objects as the apiserver and ztunnel report them (fixtures/): rollouts
// mid-way, a StatefulSet with a partition or OnDelete, pods with and without the redirection
// annotation and a sidecar, waypoint conditions, a ztunnel config dump. Observed through the gate
// handlers on the in-memory cluster, as the executor observes them.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import { CONFIG_DUMP_PATH, ZTUNNEL_ADMIN_PORT } from "../../../src/cluster/ztunnel.js";
import { type Gate, observeGate } from "../../../src/gates/index.js";
import { rolloutPending } from "../../../src/gates/rollouts-complete.js";
import type { ObjectRef } from "../../../src/inventory/identity.js";
import type { KubeObject } from "../../../src/inventory/model.js";

function fixture(file: string): KubeObject[] {
  const text = readFileSync(new URL(`fixtures/${file}`, import.meta.url), "utf8");
  return parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
}

const rollouts = new Map(fixture("rollouts.yaml").map((o) => [o.metadata.name, o]));
const rollout = (name: string): KubeObject => {
  const o = rollouts.get(name);
  if (!o) throw new Error(`no fixture ${name}`);
  return o;
};

const ztunnel: KubeObject[] = [
  {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "ztunnel", namespace: "istio-system", labels: { app: "ztunnel" } },
    spec: { selector: { matchLabels: { app: "ztunnel" } } },
  },
  {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "ztunnel-q7x2w", namespace: "istio-system", labels: { app: "ztunnel" } },
    spec: { containers: [{ name: "istio-proxy" }] },
    status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
  },
];

/** The cluster with the fixtures' pods and ztunnel answering with its config dump. */
function shop(): FakeClusterPort {
  const port = new FakeClusterPort([...fixture("pods.yaml"), ...ztunnel]);
  port.serve(
    { namespace: "istio-system", name: "ztunnel-q7x2w" },
    ZTUNNEL_ADMIN_PORT,
    CONFIG_DUMP_PATH,
    readFileSync(new URL("fixtures/ztunnel-shop.json", import.meta.url), "utf8"),
  );
  return port;
}

function observe(port: FakeClusterPort, gate: Gate, timeoutMs = 150) {
  return observeGate(gate, {
    port,
    timeoutMs,
    signal: new AbortController().signal,
    progress: () => {},
    ztunnelIntervalMs: 20,
  });
}

const legacy: ObjectRef = { apiVersion: "v1", kind: "Pod", namespace: "shop", name: "legacy" };

describe("rollouts-complete judges as kubectl rollout status", () => {
  it.each([
    ["web-scaling", "2 of 3 new replicas updated"],
    ["web-surging", "1 old replicas pending termination"],
    ["web-unobserved", "waiting for the controller to observe the new generation"],
    ["web-stuck", 'progress deadline exceeded: ReplicaSet "web-7f9c" has timed out progressing.'],
    ["web-done", undefined],
    ["db-partitioned", undefined],
    ["db-partition-pending", "0 of 1 pods updated (partition 2)"],
    ["db-ondelete", undefined],
    ["db-rolling", "1 of 2 pods at the new revision"],
  ])("%s: %s", (name, pending) => {
    expect(rolloutPending(rollout(name))).toBe(pending);
  });

  it("waits on the watch until the rollout completes", async () => {
    const port = new FakeClusterPort([rollout("web-scaling")]);
    const ref: ObjectRef = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      namespace: "shop",
      name: "web-scaling",
    };
    const gate: Gate = { type: "rollouts-complete", targets: [ref] };
    expect(await observe(port, gate)).toEqual({
      passed: false,
      detail: "rollout of deployment/web-scaling: 2 of 3 new replicas updated",
    });
    const done = rollout("web-scaling");
    setTimeout(
      () =>
        port.put({
          ...done,
          status: { ...done.status, replicas: 3, updatedReplicas: 3, availableReplicas: 3 },
        }),
      30,
    );
    expect((await observe(port, gate, 2000)).passed).toBe(true);
  });
});

describe("pod gates", () => {
  it("pods-redirected passes when only the workloads left to the user are not redirected", async () => {
    const gate = { type: "pods-redirected", namespace: "shop" } as const;
    expect(await observe(shop(), { ...gate, except: [legacy] })).toMatchObject({ passed: true });
    expect(await observe(shop(), { ...gate, except: [] })).toEqual({
      passed: false,
      detail:
        "pods of shop redirected to ztunnel (ambient.istio.io/redirection=enabled, HBONE without nativeTunnel): 1 pod(s) not redirected: legacy",
    });
  });

  it("pods-redirected also needs ztunnel itself to carry the pods (not their sidecar)", async () => {
    const port = shop();
    // The annotation says redirected, but ztunnel still lists the pod behind its own sidecar.
    const pod = (await port.get(legacy)) as KubeObject;
    port.put({
      ...pod,
      metadata: { ...pod.metadata, annotations: { "ambient.istio.io/redirection": "enabled" } },
    });
    const outcome = await observe(port, { type: "pods-redirected", namespace: "shop", except: [] });
    expect(outcome.passed).toBe(false);
    expect(outcome.detail).toContain(
      "1 of 2 pods not listed as required by ztunnel (istio-system/ztunnel-q7x2w (port-forward)): legacy",
    );
  });

  it("no-sidecars names the pods that still run istio-proxy", async () => {
    const gate = { type: "no-sidecars", namespace: "shop" } as const;
    expect(await observe(shop(), { ...gate, except: [legacy] })).toMatchObject({ passed: true });
    expect(await observe(shop(), { ...gate, except: [] })).toEqual({
      passed: false,
      detail: "no pod of shop runs istio-proxy: 1 pod(s) with a sidecar: legacy",
    });
  });

  it("ztunnel-workloads passes when ztunnel lists every running pod HBONE, sidecar or not", async () => {
    expect(await observe(shop(), { type: "ztunnel-workloads", namespace: "shop" })).toMatchObject({
      passed: true,
    });
    const port = shop();
    port.put({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "web-6d4b75cb6d-new", namespace: "shop", labels: { app: "web" } },
      spec: { containers: [{ name: "web" }] },
      status: { phase: "Running", podIP: "10.244.1.30" },
    });
    const outcome = await observe(port, { type: "ztunnel-workloads", namespace: "shop" });
    expect(outcome.passed).toBe(false);
    expect(outcome.detail).toContain(
      "1 of 3 pods not listed as required by ztunnel (istio-system/ztunnel-q7x2w (port-forward)): web-6d4b75cb6d-new",
    );
  });
});

describe("ztunnel not serving yet (after a control-plane restart)", () => {
  const notReady = (name: string): KubeObject => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "istio-system", labels: { app: "ztunnel" } },
    spec: { containers: [{ name: "istio-proxy" }] },
    status: { phase: "Running", conditions: [{ type: "Ready", status: "False", reason: "NodeNotReady" }] },
  });

  it("waits while ztunnel's pods exist but none is Ready, saying what it saw, and passes once one is", async () => {
    const port = shop();
    port.put(notReady("ztunnel-q7x2w"));
    const seen: string[] = [];
    setTimeout(() => port.put(ztunnel[1] as KubeObject), 100);
    const outcome = await observeGate(
      { type: "ztunnel-workloads", namespace: "shop" },
      {
        port,
        timeoutMs: 3000,
        signal: new AbortController().signal,
        progress: (m) => seen.push(m),
        ztunnelIntervalMs: 20,
      },
    );
    expect(outcome.passed).toBe(true);
    expect(seen.join("\n")).toContain(
      "waiting: ztunnel lists every pod of shop with protocol HBONE: the ztunnel DaemonSet istio-system/ztunnel has no Ready pod yet: ztunnel-q7x2w (Running, Ready=False: NodeNotReady)",
    );
  });

  it("fails the gate at its timeout (exit 9 by the executor), naming the pods that stayed not Ready", async () => {
    const port = shop();
    port.put(notReady("ztunnel-q7x2w"));
    expect(await observe(port, { type: "pods-redirected", namespace: "shop", except: [legacy] })).toEqual({
      passed: false,
      detail: expect.stringMatching(
        /: the ztunnel DaemonSet istio-system\/ztunnel has no Ready pod yet: ztunnel-q7x2w \(Running, Ready=False: NodeNotReady\)$/,
      ),
    });
  });

  it("waits for a ztunnel DaemonSet without pods, then fails with exit 8 naming it", async () => {
    const port = new FakeClusterPort([...fixture("pods.yaml"), ztunnel[0] as KubeObject]);
    const error = await observe(port, { type: "ztunnel-workloads", namespace: "shop" }).catch((e) => e);
    expect(error.exitCode).toBe(8);
    expect(error.message).toContain("the ztunnel DaemonSet istio-system/ztunnel has no pod");
  });
});

describe("waypoint-programmed", () => {
  it("waits for Programmed=True and an address", async () => {
    const port = new FakeClusterPort(fixture("waypoints.yaml"));
    expect(await observe(port, { type: "waypoint-programmed", namespace: "shop", name: "waypoint" })).toEqual(
      {
        passed: false,
        detail: "waypoint shop/waypoint Programmed=True: not Programmed=True yet",
      },
    );
    expect(
      await observe(port, { type: "waypoint-programmed", namespace: "ready", name: "waypoint" }),
    ).toEqual({
      passed: true,
      detail: "waypoint ready/waypoint Programmed=True",
    });
    expect(
      await observe(port, { type: "waypoint-programmed", namespace: "shop", name: "other" }),
    ).toMatchObject({ passed: false, detail: expect.stringContaining("the Gateway does not exist") });
  });
});
