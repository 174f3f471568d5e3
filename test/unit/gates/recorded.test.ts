// The gates' judgments on objects recorded from the testbed (fixtures/recorded/, written by
// record-fixtures.sh: run it again to refresh them): what the real Deployment and StatefulSet
// controllers, istiod's injector (a native sidecar) and waypoint, the CNI agent stand-in and
// ztunnel's admin port reported.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import { CONFIG_DUMP_PATH, ZTUNNEL_ADMIN_PORT } from "../../../src/cluster/ztunnel.js";
import { type Gate, observeGate } from "../../../src/gates/index.js";
import { rolloutPending } from "../../../src/gates/rollouts-complete.js";
import type { ObjectRef } from "../../../src/inventory/identity.js";
import type { KubeObject } from "../../../src/inventory/model.js";

const read = (file: string) => readFileSync(new URL(`fixtures/recorded/${file}`, import.meta.url), "utf8");
const recorded = (file: string): KubeObject[] => JSON.parse(read(file));
const one = (file: string): KubeObject => recorded(file)[0] as KubeObject;

const NS = "gate-rec";
const pods = recorded("pods.json");
const zpod = one("ztunnel-pod.json");

function cluster(): FakeClusterPort {
  const port = new FakeClusterPort([...pods, ...recorded("ztunnel-daemonset.json"), zpod]);
  port.serve(
    { namespace: "istio-system", name: zpod.metadata.name },
    ZTUNNEL_ADMIN_PORT,
    CONFIG_DUMP_PATH,
    read("ztunnel-config-dump.json"),
  );
  return port;
}

function observe(port: FakeClusterPort, gate: Gate) {
  return observeGate(gate, {
    port,
    timeoutMs: 150,
    signal: new AbortController().signal,
    progress: () => {},
    ztunnelIntervalMs: 20,
  });
}

const legacy: ObjectRef = { apiVersion: "v1", kind: "Pod", namespace: NS, name: "legacy" };

describe("rollouts-complete on recorded workloads", () => {
  it.each([
    // The first new pod up but not available yet (minReadySeconds): 4 pods, 1 of them new.
    ["deployment-mid-rollout.json", "1 of 3 new replicas updated"],
    ["deployment-complete.json", undefined],
    // Partition 2 of 3: only db-2 takes the new revision, and that is the whole rollout.
    ["statefulset-partition.json", undefined],
    // OnDelete: the new revision waits for the user to delete pods; nothing to wait for.
    ["statefulset-ondelete.json", undefined],
  ])("%s: %s", (file, pending) => {
    expect(rolloutPending(one(file))).toBe(pending);
  });

  it("recorded what they claim to be", () => {
    const mid = one("deployment-mid-rollout.json");
    expect(mid.status?.replicas).toBeGreaterThan(mid.status?.updatedReplicas);
    const partition = one("statefulset-partition.json");
    expect(partition.status?.updateRevision).not.toBe(partition.status?.currentRevision);
    expect(partition.spec?.updateStrategy?.rollingUpdate?.partition).toBe(2);
    const onDelete = one("statefulset-ondelete.json");
    expect(onDelete.status?.updateRevision).not.toBe(onDelete.status?.currentRevision);
  });
});

describe("pod gates on recorded pods and ztunnel config dump", () => {
  it("the CNI agent left the pod with a sidecar unredirected, the others redirected", () => {
    const legacyPod = pods.find((p) => p.metadata.name === "legacy");
    expect(legacyPod?.spec?.initContainers?.map((c: { name: string }) => c.name)).toContain("istio-proxy");
    const redirected = pods
      .filter((p) => p.metadata.annotations?.["ambient.istio.io/redirection"] === "enabled")
      .map((p) => p.metadata.name);
    expect(redirected).not.toContain("legacy");
    expect(redirected.filter((n) => n.startsWith("web-"))).toHaveLength(3);
  });

  it("pods-redirected passes when only the workloads left to the user are not redirected", async () => {
    const gate = { type: "pods-redirected", namespace: NS } as const;
    expect(await observe(cluster(), { ...gate, except: [legacy] })).toMatchObject({ passed: true });
    expect(await observe(cluster(), { ...gate, except: [] })).toEqual({
      passed: false,
      detail: expect.stringMatching(/1 pod\(s\) not redirected: legacy$/),
    });
  });

  it("ztunnel-workloads passes: ztunnel lists every running pod HBONE", async () => {
    expect(await observe(cluster(), { type: "ztunnel-workloads", namespace: NS })).toMatchObject({
      passed: true,
    });
  });

  it("no-sidecars names the pod the injector gave a native sidecar (the waypoint's proxy is not one)", async () => {
    const gate = { type: "no-sidecars", namespace: NS } as const;
    expect(await observe(cluster(), { ...gate, except: [legacy] })).toMatchObject({ passed: true });
    expect(await observe(cluster(), { ...gate, except: [] })).toEqual({
      passed: false,
      detail: `no pod of ${NS} runs istio-proxy: 1 pod(s) with a sidecar: legacy`,
    });
  });

  it("waypoint-programmed passes on the waypoint istiod programmed", async () => {
    const port = new FakeClusterPort([one("waypoint-programmed.json")]);
    expect(await observe(port, { type: "waypoint-programmed", namespace: NS, name: "waypoint" })).toEqual({
      passed: true,
      detail: `waypoint ${NS}/waypoint Programmed=True`,
    });
  });
});
