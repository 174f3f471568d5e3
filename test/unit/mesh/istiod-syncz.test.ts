// istiod's /debug/syncz as status --workloads reads it: a body in the shape istiod writes
// (pilot/pkg/xds/debug.go SyncStatus, as the testbed's istiod 1.27 answered it).

import { describe, expect, it } from "vitest";
import { parseSyncz } from "../../../src/cluster/istiod-syncz.js";

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
