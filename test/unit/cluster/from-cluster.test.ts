import { describe, expect, it } from "vitest";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import { ExitCode } from "../../../src/errors.js";
import { readCluster } from "../../../src/inventory/from-cluster.js";
import { K, KINDS } from "../../../src/inventory/kinds.js";
import type { KubeObject } from "../../../src/inventory/model.js";

const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name, labels },
});

function cluster(namespaces: number): FakeClusterPort {
  const objects: KubeObject[] = [];
  for (let i = 0; i < namespaces; i++) {
    const name = `team-${i}`;
    objects.push(ns(name, { "istio-injection": "enabled" }));
    objects.push({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "web-0", namespace: name },
      spec: { containers: [] },
    });
    objects.push({
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: "allow", namespace: name },
      spec: {},
    });
  }
  return new FakeClusterPort(objects);
}

describe("readCluster", () => {
  it("reads 1,500 namespaces with one paginated list per kind, never per namespace", async () => {
    const fake = cluster(1500);
    fake.pageSize = 500;
    const inventory = await readCluster(fake);
    expect(inventory.namespaceNames()).toHaveLength(1500);
    expect(inventory.list(K.Pod)).toHaveLength(1500);
    expect(inventory.inNamespace(K.AuthorizationPolicy, "team-42")).toHaveLength(1);
    const lists = fake.calls.filter((c) => c.verb === "list");
    expect(lists.every((c) => c.namespace === undefined)).toBe(true);
    // 3 pages for each of the three populated kinds, one (empty) page for every other kind.
    expect(lists).toHaveLength(KINDS.length - 3 + 3 * 3);
    expect(inventory.source).toEqual({ type: "cluster", context: "fake" });
  });

  it("leaves out the certificate bundles Kubernetes and istiod publish into every namespace", async () => {
    const cm = (name: string, namespace: string): KubeObject => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace },
      data: {},
    });
    const fake = new FakeClusterPort([
      ns("shop"),
      cm("kube-root-ca.crt", "shop"),
      cm("istio-ca-root-cert", "shop"),
      cm("istio-ca-crl", "shop"),
      cm("ambient-migrate-journal", "shop"),
      cm("istio", "istio-system"),
    ]);
    const inventory = await readCluster(fake);
    expect(
      inventory
        .list(K.ConfigMap)
        .map((c) => c.metadata.name)
        .sort(),
    ).toEqual(["ambient-migrate-journal", "istio"]);
  });

  it("skips kinds whose CRDs are absent, with a note", async () => {
    const fake = cluster(1);
    fake.missing.add("podmonitors.monitoring.coreos.com");
    fake.missing.add("tcproutes.gateway.networking.k8s.io");
    const notes: string[] = [];
    await readCluster(fake, { note: (m) => notes.push(m) });
    expect(notes).toEqual([
      "the cluster does not serve TCPRoute.gateway.networking.k8s.io v1alpha2, PodMonitor.monitoring.coreos.com v1: skipped",
    ]);
    expect(fake.calls.some((c) => c.verb === "list" && c.resource === "podmonitors")).toBe(false);
  });

  it("fails with exit 8 and how to install Istio when its CRDs are absent", async () => {
    const fake = cluster(1);
    for (const kind of KINDS.filter((k) => k.group.endsWith("istio.io")))
      fake.missing.add(`${kind.plural}.${kind.group}`);
    const error = await readCluster(fake).catch((e) => e);
    expect(error.exitCode).toBe(ExitCode.prerequisiteMissing);
    expect(error.message).toContain("virtualservices.networking.istio.io");
    expect(error.hint).toContain("istioctl install");
  });

  it("passes an RBAC refusal through (exit 7)", async () => {
    const fake = cluster(1);
    fake.refuse("list", "pods");
    const error = await readCluster(fake).catch((e) => e);
    expect(error.exitCode).toBe(ExitCode.forbidden);
    expect(error.message).toBe("forbidden: cannot list pods (cluster scope)");
  });

  it("keeps at most `concurrency` lists in flight", async () => {
    const fake = cluster(3);
    let inFlight = 0;
    let peak = 0;
    const list = fake.list.bind(fake);
    fake.list = async (...args) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      try {
        return await list(...args);
      } finally {
        inFlight--;
      }
    };
    await readCluster(fake, { concurrency: 3 });
    expect(peak).toBe(3);
  });

  it("checks custom resources against their schema, not objects of Kubernetes' own kinds", async () => {
    // A CRD may be older or looser than the schema the tool knows: its objects are checked. A
    // built-in kind's object was decoded into the apiserver's own types, so it is not (a real
    // apiserver cannot serve a Service whose ports are text; the fake can, to tell the two apart).
    const fake = new FakeClusterPort([
      ns("shop"),
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "web", namespace: "shop" },
        spec: { ports: "80" },
      },
      {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "web", namespace: "shop" },
        spec: { hosts: ["web"], http: "route everything" },
      },
    ]);
    const inventory = await readCluster(fake);
    expect(inventory.inNamespace(K.Service, "shop").map((o) => o.metadata.name)).toEqual(["web"]);
    expect(inventory.inNamespace(K.VirtualService, "shop")).toEqual([]);
    expect(inventory.invalid.map((i) => [i.object.kind, i.problems[0]?.path])).toEqual([
      ["VirtualService", "spec.http"],
    ]);
  });
});
