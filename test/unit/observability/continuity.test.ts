// observability --verify: what is expected of a namespace after its migration (pure), and the
// verdict on a real Prometheus holding recorded series (present, missing, Prometheus' own `up`
// not taken for an app's metrics).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { Inventory, type KubeObject } from "../../../src/inventory/model.js";
import { continuityExpectations } from "../../../src/observability/continuity.js";
import { continuityPassed, verifyContinuity } from "../../../src/observability/verify.js";
import { PrometheusClient } from "../../../src/prometheus/client.js";
import { type RunningPrometheus, startPrometheus, toOpenMetrics } from "../../prometheus/server.js";

const SHOP = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint}}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec: {selector: {app: reviews}, ports: [{port: 9080}]}
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: shop, labels: {istio.io/use-waypoint: none}}
spec: {selector: {app: ratings}, ports: [{port: 9080}]}
---
apiVersion: v1
kind: Service
metadata: {name: waypoint, namespace: shop, labels: {gateway.networking.k8s.io/gateway-name: waypoint}}
spec: {selector: {gateway.networking.k8s.io/gateway-name: waypoint}, ports: [{port: 15008}]}
---
apiVersion: v1
kind: Service
metadata: {name: external-db, namespace: shop}
spec: {ports: [{port: 5432}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1, namespace: shop}
spec:
  selector: {matchLabels: {app: reviews}}
  template:
    metadata:
      labels: {app: reviews, version: v1}
      annotations: {prometheus.io/scrape: "true", prometheus.io/port: "9100"}
    spec: {containers: [{name: reviews, image: reviews, ports: [{containerPort: 9100, name: http-metrics}]}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: reviews-v1-7d9, namespace: shop, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: reviews-v1, controller: true}]}
spec: {selector: {matchLabels: {app: reviews}}, template: {metadata: {labels: {app: reviews}}, spec: {containers: [{name: reviews, image: reviews}]}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: reviews-v1-7d9-abcde
  namespace: shop
  labels: {app: reviews, version: v1}
  annotations: {ambient.istio.io/redirection: enabled}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: reviews-v1-7d9, controller: true}]
spec: {containers: [{name: reviews, image: reviews}]}
status: {phase: Running}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ratings-v1, namespace: shop}
spec:
  selector: {matchLabels: {app: ratings}}
  template: {metadata: {labels: {app: ratings}, annotations: {sidecar.istio.io/inject: "true"}}, spec: {containers: [{name: ratings, image: ratings}]}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: ratings-v1-55f, namespace: shop, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: ratings-v1, controller: true}]}
spec: {selector: {matchLabels: {app: ratings}}, template: {metadata: {labels: {app: ratings}}, spec: {containers: [{name: ratings, image: ratings}]}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: ratings-v1-55f-xyz12
  namespace: shop
  labels: {app: ratings}
  annotations: {sidecar.istio.io/status: '{"containers":["istio-proxy"]}'}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: ratings-v1-55f, controller: true}]
spec: {containers: [{name: ratings, image: ratings}, {name: istio-proxy, image: proxyv2}]}
status: {phase: Running}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: batch, namespace: shop}
spec: {replicas: 0, selector: {matchLabels: {app: batch}}, template: {metadata: {labels: {app: batch}}, spec: {containers: [{name: batch, image: batch}]}}}
---
apiVersion: v1
kind: Namespace
metadata: {name: legacy, labels: {istio-injection: enabled}}
`;

function clusterInventory(yaml: string): Inventory {
  const inventory = new Inventory({ type: "cluster", context: "test" });
  for (const doc of parseAllDocuments(yaml)) inventory.add(doc.toJS() as KubeObject);
  return inventory;
}

const inventory = clusterInventory(SHOP);

describe("what a migrated namespace is expected to report", () => {
  it("waypoint L7 per Service behind a waypoint, ztunnel TCP per ambient workload, app metrics per metrics port", () => {
    const shop = continuityExpectations(inventory, "shop");
    expect(shop.expectations.map((e) => [e.kind, e.subject, e.query])).toEqual([
      [
        "waypoint-l7",
        "Service/reviews",
        'count(istio_requests_total{reporter="waypoint",destination_service_namespace="shop",destination_service_name="reviews"})',
      ],
      [
        "ztunnel-tcp",
        "Deployment/reviews-v1",
        'count(istio_tcp_connections_opened_total{reporter=~"source|destination",destination_workload_namespace="shop",destination_workload="reviews-v1"}) or count(istio_tcp_connections_opened_total{reporter=~"source|destination",source_workload_namespace="shop",source_workload="reviews-v1"})',
      ],
      [
        "app-metrics",
        "Deployment/reviews-v1",
        'count({namespace="shop",pod=~"reviews-v1-7d9-abcde",__name__!~"up|scrape_.+|istio_.+|envoy_.+"})',
      ],
    ]);
    expect(shop.expectations[2]?.why).toContain("PodMonitor shop/reviews-v1-metrics");
    // ratings opts out of the waypoint and its pod still has a sidecar; batch runs nothing.
    expect(shop.notes).toEqual([
      "Deployment/ratings-v1: not in ambient mode (a pod still has its sidecar or is not redirected by the CNI); no ztunnel series expected",
      "Deployment/batch: no running pod, so no series to expect",
    ]);
  });

  it("a namespace still on sidecars expects nothing", () => {
    expect(continuityExpectations(inventory, "legacy").expectations).toEqual([]);
  });

  it("from manifests (no pods): ambient by label, app pods matched by the workload's name", () => {
    const files = new Inventory({ type: "files", paths: ["x"] });
    for (const doc of parseAllDocuments(SHOP)) {
      const o = doc.toJS() as KubeObject;
      if (o.kind !== "Pod" && o.kind !== "ReplicaSet") files.add(o);
    }
    const shop = continuityExpectations(files, "shop");
    expect(shop.expectations.map((e) => `${e.kind} ${e.subject}`)).toEqual([
      "waypoint-l7 Service/reviews",
      "ztunnel-tcp Deployment/reviews-v1",
      "ztunnel-tcp Deployment/batch",
      "app-metrics Deployment/reviews-v1",
    ]);
    expect(shop.expectations.at(-1)?.query).toContain('pod=~"reviews-v1-.+"');
  });
});

// Recorded a minute before `at`: shop's waypoint, ztunnel and app series; `up` alone for a
// second app pod (a target that answers without its metrics does not count).
const at = Math.floor(Date.now() / 1000) - 600;
const recorded = (metric: string, labels: Record<string, string>) =>
  [at - 60, at - 30, at].map((time, i) => ({ metric, labels, value: i + 1, time }));

let prom: RunningPrometheus;
beforeAll(async () => {
  prom = await startPrometheus(
    toOpenMetrics(
      [
        { name: "istio_requests_total", type: "counter" },
        { name: "istio_tcp_connections_opened_total", type: "counter" },
        { name: "orders_processed_total", type: "counter" },
        { name: "up", type: "gauge" },
      ],
      [
        ...recorded("istio_requests_total", {
          reporter: "waypoint",
          destination_service_namespace: "shop",
          destination_service_name: "reviews",
          response_code: "200",
        }),
        // Before the migration: the sidecar's series, which must not count for the waypoint.
        ...recorded("istio_requests_total", {
          reporter: "destination",
          destination_service_namespace: "shop2",
          destination_service_name: "reviews",
          response_code: "200",
        }),
        ...recorded("istio_tcp_connections_opened_total", {
          reporter: "destination",
          destination_workload_namespace: "shop",
          destination_workload: "reviews-v1",
        }),
        ...recorded("orders_processed_total", { namespace: "shop", pod: "reviews-v1-7d9-abcde" }),
        ...recorded("up", { namespace: "shop2", pod: "reviews-v1-7d9-abcde" }).map((s) => ({
          ...s,
          value: 1,
        })),
      ],
    ),
  );
}, 60_000);
afterAll(async () => prom?.stop());

describe("verifyContinuity on a real Prometheus", () => {
  const query = () => {
    const client = new PrometheusClient(prom.url);
    return (expr: string) => client.query(expr, new Date(at * 1000));
  };

  it("every expected series present: passed", async () => {
    const report = await verifyContinuity([continuityExpectations(inventory, "shop")], query());
    expect(report.rows.map((r) => `${r.kind} ${r.subject} ${r.state} ${r.series}`)).toEqual([
      "waypoint-l7 Service/reviews present 1",
      "ztunnel-tcp Deployment/reviews-v1 present 1",
      "app-metrics Deployment/reviews-v1 present 1",
    ]);
    expect(continuityPassed(report)).toBe(true);
  });

  it("the same objects in a namespace whose series are missing (sidecar series and `up` only): missing, not passed", async () => {
    const shop2 = clusterInventory(
      SHOP.replaceAll("namespace: shop", "namespace: shop2").replace("name: shop,", "name: shop2,"),
    );
    const report = await verifyContinuity([continuityExpectations(shop2, "shop2")], query());
    expect(report.rows.map((r) => `${r.kind} ${r.state} ${r.series}`)).toEqual([
      "waypoint-l7 missing 0",
      "ztunnel-tcp missing 0",
      "app-metrics missing 0",
    ]);
    expect(continuityPassed(report)).toBe(false);
  });

  it("nothing expected is not a pass", async () => {
    const report = await verifyContinuity([continuityExpectations(inventory, "legacy")], query());
    expect(report).toMatchObject({ rows: [], nothingExpected: ["legacy"] });
    expect(continuityPassed(report)).toBe(false);
  });
});

describe("observability --verify flags", () => {
  let errors = "";
  const io = {
    out: { write: () => undefined },
    err: {
      write: (t: string) => {
        errors += t;
      },
    },
  };
  it("--verify needs --prometheus; --prometheus needs --verify; --verify only reads", async () => {
    const { run } = await import("../../../src/cli/main.js");
    errors = "";
    expect(await run(["observability", "--verify", "-n", "shop"], io)).toBe(2);
    expect(errors).toContain("--verify needs --prometheus URL");
    expect(await run(["observability", "--prometheus", "http://127.0.0.1:1", "-n", "shop"], io)).toBe(2);
    expect(errors).toContain("--prometheus goes with --verify");
    expect(
      await run(
        ["observability", "--verify", "--prometheus", "http://127.0.0.1:1", "--apply", "-n", "shop"],
        io,
      ),
    ).toBe(2);
    expect(errors).toContain("--verify only reads");
    process.exitCode = undefined;
  });
});
