import { describe, expect, it } from "vitest";
import { namespaceStatuses, renderStatus } from "../../../src/cli/actions/status.js";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import { readCluster } from "../../../src/inventory/from-cluster.js";
import type { KubeObject } from "../../../src/inventory/model.js";

const ns = (name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name, labels },
});

const sidecarPod = (namespace: string, name: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace, annotations: { "sidecar.istio.io/status": "{}" } },
  spec: { containers: [{ name: "app" }, { name: "istio-proxy" }], initContainers: [{ name: "istio-init" }] },
});

const ambientPod = (namespace: string, name: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace, annotations: { "ambient.istio.io/redirection": "enabled" } },
  spec: { containers: [{ name: "app" }] },
});

const waypoint = (namespace: string, programmed: boolean): KubeObject => ({
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "Gateway",
  metadata: { name: "waypoint", namespace },
  spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] },
  status: { conditions: [{ type: "Programmed", status: programmed ? "True" : "False" }] },
});

const objects: KubeObject[] = [
  ns("plain", {}),
  ns("shop", { "istio-injection": "enabled" }),
  sidecarPod("shop", "web-1"),
  sidecarPod("shop", "web-2"),
  ns("canary", { "istio.io/rev": "1-27", "istio.io/use-waypoint": "waypoint" }),
  waypoint("canary", false),
  sidecarPod("canary", "api-1"),
  ns("orders", {
    "istio-injection": "enabled",
    "istio.io/dataplane-mode": "ambient",
    "istio.io/use-waypoint": "waypoint",
  }),
  waypoint("orders", true),
  sidecarPod("orders", "db-1"),
  ns("payments", { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" }),
  waypoint("payments", true),
  ambientPod("payments", "pay-1"),
  ambientPod("payments", "pay-2"),
  ns("ledger", { "istio.io/dataplane-mode": "ambient" }),
  ambientPod("ledger", "l-1"),
  waypoint("ledger", false),
];

describe("status", () => {
  it("shows each namespace's state, labels, waypoint and pod counts", async () => {
    const inventory = await readCluster(new FakeClusterPort(objects));
    const statuses = namespaceStatuses(inventory, inventory.namespaceNames());
    expect(statuses.map((s) => [s.namespace, s.mode])).toEqual([
      ["canary", "migrating"],
      ["ledger", "ambient"],
      ["orders", "migrating"],
      ["payments", "ambient"],
      ["plain", "not-meshed"],
      ["shop", "sidecar"],
    ]);
    expect(statuses.find((s) => s.namespace === "payments")?.pods).toEqual({
      total: 2,
      withSidecar: 0,
      redirected: 2,
    });
    await expect(renderStatus(statuses)).toMatchFileSnapshot("golden/status.txt");
  });

  it("does not count proxies that are pods of their own (ztunnel, gateways) as sidecars", async () => {
    const ztunnel: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "ztunnel-abcde", namespace: "istio-system", labels: { app: "ztunnel" } },
      spec: { containers: [{ name: "istio-proxy" }] },
    };
    const inventory = await readCluster(new FakeClusterPort([ns("istio-system", {}), ztunnel]));
    const [status] = namespaceStatuses(inventory, ["istio-system"]);
    expect(status?.mode).toBe("not-meshed");
    expect(status?.pods).toEqual({ total: 1, withSidecar: 0, redirected: 0 });
  });

  it("reads every kind once however many namespaces it reports on", async () => {
    const fake = new FakeClusterPort(objects);
    const inventory = await readCluster(fake);
    const before = fake.calls.length;
    namespaceStatuses(inventory, inventory.namespaceNames());
    expect(fake.calls.length).toBe(before);
  });
});
