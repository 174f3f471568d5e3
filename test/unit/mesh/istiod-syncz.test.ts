// istiod's /debug/syncz as status --workloads reads it: a body in the shape istiod writes
// (pilot/pkg/xds/debug.go SyncStatus, as the testbed's istiod 1.27 answered it).

import { describe, expect, it } from "vitest";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import { parseSyncz, readSyncz } from "../../../src/cluster/istiod-syncz.js";
import { ExitCode } from "../../../src/errors.js";

const T = "type.googleapis.com/envoy.config.";
const body = JSON.stringify([
  {
    cluster_id: "Kubernetes",
    proxy: "details-v1-65bd58d55f-wq2dp.shop",
    proxy_type: "sidecar",
    resources: {
      [`${T}cluster.v3.Cluster`]: { sent: "2026-12-01T14:51:05Z/5", acked: "2026-12-01T14:51:05Z/5" },
      [`${T}listener.v3.Listener`]: { sent: "n2", acked: "n2" },
      [`${T}endpoint.v3.ClusterLoadAssignment`]: { sent: "n3", acked: "n3" },
      [`${T}route.v3.RouteConfiguration`]: { sent: "n4", acked: "n4" },
    },
  },
  {
    proxy: "web-1.shop",
    resources: {
      [`${T}cluster.v3.Cluster`]: { sent: "n5", acked: "n4" },
      [`${T}listener.v3.Listener`]: { sent: "n6" },
    },
  },
  { proxy: "idle.shop", resources: {} },
  {
    proxy: "ztunnel-testbed.istio-system",
    proxy_type: "ztunnel",
    resources: { "type.googleapis.com/istio.workload.Address": { sent: "a", acked: "a" } },
  },
]);

describe("parseSyncz", () => {
  it("SYNCED with the types pushed, STALE with those not acknowledged, NOT SENT", () => {
    const states = parseSyncz(body);
    expect(states.get("details-v1-65bd58d55f-wq2dp.shop")).toBe("SYNCED (CDS,LDS,EDS,RDS)");
    expect(states.get("web-1.shop")).toBe("STALE: CDS,LDS sent, not acknowledged");
    expect(states.get("idle.shop")).toBe("NOT SENT");
    expect(states.get("ztunnel-testbed.istio-system")).toBe("SYNCED (WDS)");
  });

  it("says when the answer is not JSON", () => {
    expect(() => parseSyncz("<html>")).toThrow(/not JSON/);
  });
});

describe("readSyncz", () => {
  const istiod = (name: string, phase = "Running") => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "istio-system", labels: { app: "istiod" } },
    status: { phase },
  });
  const synced = (proxy: string) =>
    JSON.stringify([{ proxy, resources: { [`${T}cluster.v3.Cluster`]: { sent: "n", acked: "n" } } }]);

  it("asks every running istiod replica: each proxy is listed by the one it is connected to", async () => {
    const port = new FakeClusterPort([istiod("istiod-a"), istiod("istiod-b"), istiod("istiod-c", "Pending")]);
    port.serve({ namespace: "istio-system", name: "istiod-a" }, 15014, "/debug/syncz", synced("web-1.shop"));
    port.serve({ namespace: "istio-system", name: "istiod-b" }, 15014, "/debug/syncz", synced("db-1.shop"));
    const read = await readSyncz(port);
    expect([...read.states]).toEqual([
      ["web-1.shop", "SYNCED (CDS)"],
      ["db-1.shop", "SYNCED (CDS)"],
    ]);
    expect(read.source).toBe("istio-system/istiod-a, istio-system/istiod-b (port-forward)");
  });

  it("without a running istiod pod (istiod outside the cluster), asks for --istiod (exit 8)", async () => {
    await expect(readSyncz(new FakeClusterPort([istiod("istiod-a", "Pending")]))).rejects.toMatchObject({
      exitCode: ExitCode.prerequisiteMissing,
      hint: expect.stringContaining("--istiod URL"),
    });
  });
});
