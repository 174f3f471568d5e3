// Samples: `ztunnel-dump-arrays.hand-written.json` is written by hand from procedure.md's format
// and istioctl's Go types (istioctl/pkg/writer/ztunnel/configdump/api.go). The map-keyed one is
// istioctl's own recorded test data (istioctl/pkg/writer/ztunnel/configdump/testdata/dump.json,
// Apache-2.0), from an older ztunnel that marked enrolled pods nativeTunnel too.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import {
  capturedByZtunnel,
  parseConfigDump,
  readZtunnel,
  ZtunnelMissing,
  ZtunnelNotReady,
  ZtunnelUnreadable,
} from "../../../src/cluster/ztunnel.js";
import { ExitCode } from "../../../src/errors.js";
import type { KubeObject } from "../../../src/inventory/model.js";

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), "utf8");
const arrays = fixture("ztunnel-dump-arrays.hand-written.json");
const maps = fixture("ztunnel-dump-maps.istio-testdata.json");

describe("parseConfigDump", () => {
  it("reads the array format and tells captured pods from HBONE sidecars", () => {
    const config = parseConfigDump(arrays);
    expect(config.workloadsIn("shop")).toEqual([
      {
        name: "cart-6d9f8c7b5-x2k4q",
        namespace: "shop",
        protocol: "HBONE",
        nativeTunnel: false,
        node: "worker-1",
        waypoint: "waypoint",
        status: "Healthy",
        uid: "Kubernetes//Pod/shop/cart-6d9f8c7b5-x2k4q",
      },
      {
        name: "checkout-5c7b9d6f4-9pzrm",
        namespace: "shop",
        protocol: "HBONE",
        nativeTunnel: true,
        node: "worker-2",
        status: "Healthy",
        uid: "Kubernetes//Pod/shop/checkout-5c7b9d6f4-9pzrm",
      },
      {
        name: "waypoint-7f6d5c4b3-hq8vw",
        namespace: "shop",
        protocol: "TCP",
        nativeTunnel: false,
        node: "worker-1",
        status: "Healthy",
        uid: "Kubernetes//Pod/shop/waypoint-7f6d5c4b3-hq8vw",
      },
    ]);
    expect(
      config
        .workloadsIn("shop")
        .filter(capturedByZtunnel)
        .map((w) => w.name),
    ).toEqual(["cart-6d9f8c7b5-x2k4q"]);
    expect(config.workloadsIn("legacy")[0]?.status).toBe("Unhealthy");
    expect(config.workloadsIn("nowhere")).toEqual([]);
  });

  it("reads the older map format and resolves waypoints by VIP as istioctl does", () => {
    const config = parseConfigDump(maps);
    expect(config.workloads).toHaveLength(27);
    const bookinfo = config.workloadsIn("bookinfo");
    expect(bookinfo.map((w) => [w.name, w.protocol, w.waypoint ?? "None"])).toEqual([
      ["bookinfo-productpage-istio-waypoint-5cdd6745d5-rc2gg", "TCP", "None"],
      ["details-v1-698d88b-dqrbr", "HBONE", "namespace-istio-waypoint"],
      ["namespace-istio-waypoint-d94944bf6-z89g2", "TCP", "None"],
      ["productpage-v1-675fc69cf-jscn2", "HBONE", "bookinfo-productpage-istio-waypoint"],
      ["ratings-v1-6484c4d9bb-mdxm5", "HBONE", "namespace-istio-waypoint"],
      ["reviews-v1-5b5d6494f4-qwjv4", "HBONE", "namespace-istio-waypoint"],
      ["reviews-v2-5b667bcbf8-q5pn2", "HBONE", "namespace-istio-waypoint"],
      ["reviews-v3-5b9bd44f4-7fff4", "HBONE", "namespace-istio-waypoint"],
    ]);
  });

  it("says where a non-JSON answer came from", () => {
    expect(() => parseConfigDump("<html>", "istio-system/ztunnel-a (proxy)")).toThrow(
      /istio-system\/ztunnel-a \(proxy\) is not JSON/,
    );
  });
});

const daemonSet = (namespace: string, name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "DaemonSet",
  metadata: { name, namespace, labels },
  spec: { selector: { matchLabels: { app: "ztunnel" } } },
});

const pod = (namespace: string, name: string, isReady: boolean): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace, labels: { app: "ztunnel" } },
  status: { phase: "Running", conditions: [{ type: "Ready", status: isReady ? "True" : "False" }] },
});

describe("readZtunnel", () => {
  it("finds ztunnel outside istio-system, picks a Ready pod and reads its admin port 15000", async () => {
    const fake = new FakeClusterPort([
      daemonSet("ztunnel", "ztunnel", { app: "ztunnel" }),
      pod("ztunnel", "ztunnel-a", false),
      pod("ztunnel", "ztunnel-b", true),
    ]);
    fake.serve({ namespace: "ztunnel", name: "ztunnel-b" }, 15000, "/config_dump", arrays);
    const config = await readZtunnel(fake);
    expect(config.source).toBe("ztunnel/ztunnel-b (port-forward)");
    expect(config.workloadsIn("shop")).toHaveLength(3);
    expect(fake.calls.find((c) => c.resource === "pods" && c.verb === "list")?.namespace).toBe("ztunnel");
  });

  it("fails with exit 8 when there is no ztunnel DaemonSet", async () => {
    const error = await readZtunnel(new FakeClusterPort([daemonSet("kube-system", "kube-proxy", {})])).catch(
      (e) => e,
    );
    expect(error.exitCode).toBe(ExitCode.prerequisiteMissing);
    expect(error.hint).toContain("profile=ambient");
  });

  it("says which ztunnel pods exist and why none is Ready (a state gates wait on, not exit 8)", async () => {
    const fake = new FakeClusterPort([
      daemonSet("istio-system", "ztunnel", { app: "ztunnel" }),
      pod("istio-system", "z", false),
    ]);
    const error = await readZtunnel(fake).catch((e) => e);
    expect(error).toBeInstanceOf(ZtunnelNotReady);
    expect(error.message).toBe(
      "the ztunnel DaemonSet istio-system/ztunnel has no Ready pod yet: z (Running, Ready=False)",
    );
  });

  it("fails with exit 8 when the ztunnel DaemonSet has no pod", async () => {
    const fake = new FakeClusterPort([daemonSet("istio-system", "ztunnel", { app: "ztunnel" })]);
    const error = await readZtunnel(fake).catch((e) => e);
    expect(error).toBeInstanceOf(ZtunnelMissing);
    expect(error.exitCode).toBe(ExitCode.prerequisiteMissing);
    expect(error.hint).toContain("kubectl -n istio-system get pods -l app=ztunnel");
  });

  it("retries a dropped port-forward and reads the answer of the next attempt", async () => {
    const fake = new FakeClusterPort([
      daemonSet("istio-system", "ztunnel", { app: "ztunnel" }),
      pod("istio-system", "z", true),
    ]);
    let attempts = 0;
    const port = new Proxy(fake, {
      get(target, prop, receiver) {
        if (prop !== "portForwardGet") return Reflect.get(target, prop, receiver);
        return async () => {
          attempts++;
          if (attempts < 3) throw new Error("port-forward connection closed with no answer");
          return { status: 200, body: arrays, via: "port-forward" };
        };
      },
    });
    const config = await readZtunnel(port, 1);
    expect(attempts).toBe(3);
    expect(config.workloadsIn("shop")).toHaveLength(3);
  });

  it("names the ztunnel pod it could not read after its retries (exit 9)", async () => {
    const fake = new FakeClusterPort([
      daemonSet("istio-system", "ztunnel", { app: "ztunnel" }),
      pod("istio-system", "z", true),
    ]);
    const error = await readZtunnel(fake, 1).catch((e) => e);
    expect(error).toBeInstanceOf(ZtunnelUnreadable);
    expect(error.exitCode).toBe(ExitCode.verificationFailed);
    expect(error.message).toContain(
      "ztunnel pod istio-system/z could not be read (/config_dump on port 15000)",
    );
    expect(error.message).toContain("nothing served");
    expect(fake.calls.filter((c) => c.resource === "pods/portforward")).toHaveLength(3);
  });
});
