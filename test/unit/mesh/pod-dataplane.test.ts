// Each pod's data plane from its spec and ztunnel's config_dump (the hand-written array sample
// of test/unit/cluster: cart captured with a waypoint, checkout a sidecar speaking HBONE itself,
// the waypoint's own pod plain TCP).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfigDump } from "../../../src/cluster/ztunnel.js";
import { Inventory, type KubeObject } from "../../../src/inventory/model.js";
import { podDataplanes, SYNC_NOT_READ } from "../../../src/mesh/pod-dataplane.js";

const dump = parseConfigDump(
  readFileSync(new URL("../cluster/fixtures/ztunnel-dump-arrays.hand-written.json", import.meta.url), "utf8"),
);

function pod(name: string, containers: string[], labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "shop", labels },
    spec: { nodeName: "worker-1", containers: containers.map((c) => ({ name: c, image: c })) },
  };
}

const inventory = new Inventory({ type: "cluster", context: "test" });
inventory.add(pod("cart-6d9f8c7b5-x2k4q", ["cart"]));
inventory.add(pod("checkout-5c7b9d6f4-9pzrm", ["checkout", "istio-proxy"]));
inventory.add(
  pod("waypoint-7f6d5c4b3-hq8vw", ["istio-proxy"], { "gateway.networking.k8s.io/gateway-name": "waypoint" }),
);
inventory.add(pod("unlisted", ["app"]));

describe("podDataplanes", () => {
  it("sidecar (sync not read, said so), ztunnel with its waypoint, a Gateway's own proxy, or none", () => {
    const rows = podDataplanes(inventory, ["shop"], dump);
    expect(rows.map((r) => [r.pod, r.dataplane, r.protocol, r.waypoint, r.istiodSync ?? "-"])).toEqual([
      ["cart-6d9f8c7b5-x2k4q", "ztunnel", "HBONE", "waypoint", "-"],
      ["checkout-5c7b9d6f4-9pzrm", "sidecar", "HBONE", "-", SYNC_NOT_READ],
      ["unlisted", "none", "-", "-", "-"],
      // A waypoint's container is named istio-proxy, but it is the Gateway's proxy, not a sidecar.
      ["waypoint-7f6d5c4b3-hq8vw", "gateway", "TCP", "-", "-"],
    ]);
  });

  it("without ztunnel's view, a pod without a sidecar is unknown rather than none", () => {
    const rows = podDataplanes(inventory, ["shop"], undefined);
    expect(rows.find((r) => r.pod === "cart-6d9f8c7b5-x2k4q")?.dataplane).toBe("unknown");
    expect(rows.find((r) => r.pod === "checkout-5c7b9d6f4-9pzrm")?.dataplane).toBe("sidecar");
  });
});
