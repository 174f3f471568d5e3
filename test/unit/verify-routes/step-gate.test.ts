// Step 1 records the sidecars' routes; step 5's routes-equivalent gate compares the waypoint's
// table with that record before anything is deleted: it passes when every request is decided the
// same, and fails (naming the request) when a translated route sends traffic elsewhere.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ChangeEntry, PerformContext } from "../../../src/changes/handler.js";
import { recordRoutes } from "../../../src/changes/record-routes.js";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import { routesEquivalent } from "../../../src/gates/routes-equivalent.js";
import type { KubeObject } from "../../../src/inventory/model.js";
import { readRecordedRoutes } from "../../../src/verify-routes/reference.js";

const NS = "shop";
const FQDN = `reviews.${NS}.svc.cluster.local`;
const meta = (name: string, labels: Record<string, string> = {}, namespace: string | undefined = NS) => ({
  name,
  ...(namespace ? { namespace } : {}),
  labels,
});
const running = { phase: "Running", podIP: "10.0.0.1" };
const sidecarAnnotations = { "sidecar.istio.io/status": '{"containers":["istio-proxy"]}' };

function pod(name: string, labels: Record<string, string>, sidecar: boolean): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...meta(name, labels), ...(sidecar ? { annotations: sidecarAnnotations } : {}) },
    spec: { containers: [{ name: "app" }, ...(sidecar ? [{ name: "istio-proxy" }] : [])] },
    status: running,
  };
}

function service(name: string, selector: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(name),
    spec: { selector, ports: [{ port: 9080 }] },
  };
}

const objects: KubeObject[] = [
  {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: meta(NS, { "istio.io/use-waypoint": "waypoint" }, undefined),
  },
  service("reviews", { app: "reviews" }),
  service("reviews-v1", { app: "reviews", version: "v1" }),
  service("reviews-v2", { app: "reviews", version: "v2" }),
  pod("reviews-v1-a", { app: "reviews", version: "v1" }, true),
  pod("reviews-v2-a", { app: "reviews", version: "v2" }, true),
  pod("waypoint-a", { "gateway.networking.k8s.io/gateway-name": "waypoint" }, false),
  {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: meta("reviews"),
    spec: {
      host: "reviews",
      subsets: [
        { name: "v1", labels: { version: "v1" } },
        { name: "v2", labels: { version: "v2" } },
      ],
    },
  },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: meta("reviews"),
    spec: { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", subset: "v1" } }] }] },
  },
  {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: meta("reviews"),
    spec: { parentRefs: [{ group: "", kind: "Service", name: "reviews", port: 9080 }] },
  },
];

const istioConfig = (kind: string, name: string) => ({
  filter_metadata: { istio: { config: `/apis/networking.istio.io/v1/namespaces/${NS}/${kind}/${name}` } },
});

function dump(routeConfigs: { dynamic?: unknown[]; static?: unknown[] }): string {
  return JSON.stringify({
    configs: [
      {
        "@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump",
        dynamic_route_configs: (routeConfigs.dynamic ?? []).map((route_config) => ({ route_config })),
        static_route_configs: (routeConfigs.static ?? []).map((route_config) => ({ route_config })),
      },
    ],
  });
}

/** The sidecar's table: every request to reviews v1 (the VirtualService's route). */
const sidecarDump = dump({
  dynamic: [
    {
      name: "9080",
      virtual_hosts: [
        {
          name: `${FQDN}:9080`,
          domains: [FQDN, "reviews"],
          routes: [
            {
              name: "default",
              match: { prefix: "/" },
              route: { cluster: `outbound|9080|v1|${FQDN}` },
              metadata: istioConfig("virtual-service", "reviews"),
            },
          ],
        },
      ],
    },
  ],
});

/** The waypoint's table for the translated HTTPRoute, whose backend is the subset Service `backend`. */
const waypointDump = (backend: string) =>
  dump({
    static: [
      {
        name: `inbound-vip|9080|http|${FQDN}`,
        virtual_hosts: [
          {
            name: "inbound|http|9080",
            domains: ["*"],
            routes: [
              {
                name: `${NS}.reviews.0`,
                match: { prefix: "/" },
                route: { cluster: `inbound-vip|9080|http|${backend}.${NS}.svc.cluster.local` },
                metadata: istioConfig("http-route", "reviews"),
              },
            ],
          },
        ],
      },
    ],
  });

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function record(cluster: FakeClusterPort): Promise<{ file: string; skipped: string | undefined }> {
  const dir = mkdtempSync(join(tmpdir(), "routes-"));
  dirs.push(dir);
  const ctx = {
    port: cluster,
    entry: {} as ChangeEntry,
    resumed: false,
    run: { gates: [] },
    save: async () => {},
    out: () => {},
    progress: () => {},
    now: () => new Date("2026-12-01T00:00:00Z"),
    backupDir: dir,
    toolVersion: "test",
  } satisfies PerformContext;
  const skipped = await recordRoutes.perform(
    { type: "record-routes", namespace: NS, file: "routes.json" },
    ctx,
  );
  return { file: join(dir, "routes.json"), skipped };
}

function gateContext(cluster: FakeClusterPort) {
  return {
    port: cluster,
    timeoutMs: 100,
    signal: new AbortController().signal,
    progress: () => {},
    ztunnelIntervalMs: 10,
  };
}

describe("step 1's record of the sidecar routes", () => {
  it("keeps the route tables of one of the namespace's sidecars, and is not taken twice", async () => {
    const cluster = new FakeClusterPort(objects);
    cluster.serve({ namespace: NS, name: "reviews-v1-a" }, 15000, "/config_dump", sidecarDump);
    const { file, skipped } = await record(cluster);
    expect(skipped).toBeUndefined();
    const recorded = readRecordedRoutes(file);
    expect(recorded?.pod).toBe(`${NS}/reviews-v1-a`);
    expect(recorded?.routes.dynamic.map((c) => c.name)).toEqual(["9080"]);
    // A resumed run keeps the first record (by then the sidecars may follow the HTTPRoutes).
    const again = await recordRoutes.perform(
      { type: "record-routes", namespace: NS, file: "routes.json" },
      { ...({} as PerformContext), backupDir: join(file, ".."), out: () => {}, progress: () => {} },
    );
    expect(again).toMatch(/recorded before/);
    expect(JSON.parse(readFileSync(file, "utf8")).time).toBe("2026-12-01T00:00:00.000Z");
  });

  it("says why nothing was recorded when no sidecar answers, and goes on", async () => {
    const cluster = new FakeClusterPort(objects);
    const { file, skipped } = await record(cluster);
    expect(skipped).toMatch(/no sidecar of shop answered .*reviews-v1-a: fake: nothing served/);
    expect(readRecordedRoutes(file)).toBeUndefined();
  });
});

describe("step 5's routes-equivalent gate", () => {
  it("passes when the waypoint sends every request where the recorded sidecar table did", async () => {
    const cluster = new FakeClusterPort(objects);
    cluster.serve({ namespace: NS, name: "reviews-v1-a" }, 15000, "/config_dump", sidecarDump);
    const { file } = await record(cluster);
    cluster.serve({ namespace: NS, name: "waypoint-a" }, 15000, "/config_dump", waypointDump("reviews-v1"));
    const outcome = await routesEquivalent.observe(
      { type: "routes-equivalent", namespace: NS, reference: file },
      gateContext(cluster),
    );
    expect(outcome.detail).toMatch(/request\(s\) over 1 service port/);
    expect(outcome.passed).toBe(true);
  });

  it("fails, naming a request, when the translated route reaches other pods", async () => {
    const cluster = new FakeClusterPort(objects);
    cluster.serve({ namespace: NS, name: "reviews-v1-a" }, 15000, "/config_dump", sidecarDump);
    const { file } = await record(cluster);
    cluster.serve({ namespace: NS, name: "waypoint-a" }, 15000, "/config_dump", waypointDump("reviews-v2"));
    const outcome = await routesEquivalent.observe(
      { type: "routes-equivalent", namespace: NS, reference: file },
      gateContext(cluster),
    );
    expect(outcome.passed).toBe(false);
    expect(outcome.detail).toMatch(
      /reviews:9080: \d+ request\(s\) decided differently, e\.g\. .*destinations/,
    );
    expect(outcome.detail).toMatch(/--skip-route-verify/);
  });

  it("fails as unverified when there is neither a record nor a sidecar client to read", async () => {
    const cluster = new FakeClusterPort(objects);
    cluster.serve({ namespace: NS, name: "waypoint-a" }, 15000, "/config_dump", waypointDump("reviews-v1"));
    const outcome = await routesEquivalent.observe(
      { type: "routes-equivalent", namespace: NS, reference: join(tmpdir(), "no-such-record.json") },
      gateContext(cluster),
    );
    expect(outcome.passed).toBe(false);
    expect(outcome.detail).toMatch(/reviews:9080 unverified/);
  });
});
