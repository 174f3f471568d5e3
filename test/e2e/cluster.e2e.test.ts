// The cluster side against the real control plane: the live inventory is what kubectl sees,
// status tells namespaces in different states apart, ztunnel's view agrees with istioctl's, and
// a missing RBAC verb is named exactly (exit 7).

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { connectCluster } from "../../src/cluster/connect.js";
import type { ClusterPort } from "../../src/cluster/port.js";
import { capturedByZtunnel, readZtunnel } from "../../src/cluster/ztunnel.js";
import { PUBLISHED_CERTIFICATES, readCluster } from "../../src/inventory/from-cluster.js";
import { K, type KnownKindKey, kindInfo } from "../../src/inventory/kinds.js";
import type { Inventory, KubeObject } from "../../src/inventory/model.js";
import {
  apply,
  bookinfoApp,
  cli,
  createNamespace,
  deleteNamespaces,
  istioctl,
  kubeconfigForServiceAccount,
  kubeconfigPath,
  kubectl,
  kubectlJson,
  repoRoot,
} from "./harness.js";

/** Bookinfo's details Service, ServiceAccount and Deployment only: small and quick to roll out. */
const details = bookinfoApp("details");

const policy = (namespace: string) => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: details-get, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: details}}
  action: ALLOW
  rules: [{to: [{operation: {methods: ["GET"]}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: details, namespace: ${namespace}}
spec:
  hosts: [details]
  http: [{route: [{destination: {host: details, subset: v1}}], timeout: 5s}]
`;

async function rollout(namespace: string): Promise<void> {
  await kubectl(["-n", namespace, "rollout", "status", "deployment/details-v1", "--timeout=120s"]);
}

function plural(kind: KnownKindKey): string {
  const info = kindInfo(kind);
  return info.group ? `${info.plural}.${info.group}` : info.plural;
}

let port: ClusterPort;
let sidecarNs: string;
let ambientNs: string;
let migratingNs: string;
let plainNs: string;

beforeAll(async () => {
  port = connectCluster({ kubeconfig: kubeconfigPath() }, () => {});
  sidecarNs = await createNamespace("cl-sidecar", { "istio-injection": "enabled" });
  ambientNs = await createNamespace("cl-ambient", { "istio.io/dataplane-mode": "ambient" });
  migratingNs = await createNamespace("cl-migrating", {
    "istio-injection": "enabled",
    "istio.io/dataplane-mode": "ambient",
  });
  plainNs = await createNamespace("cl-plain");
  for (const ns of [sidecarNs, ambientNs, migratingNs]) await apply(details, ns);
  await apply(policy(sidecarNs), sidecarNs);
  for (const ns of [sidecarNs, ambientNs, migratingNs]) await rollout(ns);
});

afterAll(deleteNamespaces);

describe("live inventory", () => {
  let inventory: Inventory;
  beforeAll(async () => {
    inventory = await readCluster(port);
  });

  it.each([
    K.Namespace,
    K.Service,
    K.Deployment,
    K.Pod,
    K.DaemonSet,
    K.ConfigMap,
    K.AuthorizationPolicy,
    K.VirtualService,
    K.GatewayClass,
  ])("holds every %s that kubectl get -A lists", async (kind) => {
    const listed = await kubectlJson<{ items: KubeObject[] }>(["get", plural(kind), "-A"]);
    const ids = (objects: KubeObject[]) =>
      objects.map((o) => `${o.metadata.namespace ?? ""}/${o.metadata.uid}`).sort();
    // Objects of other tests may come and go meanwhile: compare this test's namespaces exactly.
    const mine = (o: KubeObject) =>
      [sidecarNs, ambientNs, migratingNs, plainNs].includes(o.metadata.namespace ?? o.metadata.name) ||
      o.metadata.namespace === "istio-system" ||
      kind === K.GatewayClass;
    // The certificate bundles published into every namespace are left out on purpose
    // (from-cluster.ts): every other ConfigMap is held, and only those are missing.
    const published = (o: KubeObject) =>
      kind === K.ConfigMap && PUBLISHED_CERTIFICATES.includes(o.metadata.name);
    expect(ids(inventory.list(kind).filter(mine))).toEqual(
      ids(listed.items.filter(mine).filter((o) => !published(o))),
    );
    if (kind === K.ConfigMap) {
      expect(listed.items.filter(mine).some(published)).toBe(true);
      expect(inventory.list(kind).some(published)).toBe(false);
    }
  });

  it("keeps objects as raw JSON, field for field (no typed model dropping fields)", async () => {
    for (const [kind, name] of [
      [K.AuthorizationPolicy, "details-get"],
      [K.VirtualService, "details"],
      [K.Service, "details"],
    ] as const) {
      const fromKubectl = await kubectlJson<KubeObject>(["-n", sidecarNs, "get", plural(kind), name]);
      // istiod writes policy status asynchronously (resourceVersion, status, managedFields move
      // between the two reads; kubectl also hides managedFields): compare everything else.
      expect(withoutVolatile(inventory.get(kind, sidecarNs, name))).toEqual(withoutVolatile(fromKubectl));
    }
  });
});

function withoutVolatile(object: KubeObject | undefined): unknown {
  if (!object) return object;
  const { status: _status, ...rest } = object;
  const { managedFields: _m, resourceVersion: _r, ...metadata } = object.metadata;
  return { ...rest, metadata };
}

describe("status", () => {
  it("tells not meshed, sidecar, migrating and ambient namespaces apart", async () => {
    const namespaces = [plainNs, sidecarNs, migratingNs, ambientNs];
    const result = await cli(["status", ...namespaces.flatMap((n) => ["-n", n]), "-o", "json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`using kubeconfig ${kubeconfigPath()}`);
    const statuses = (
      JSON.parse(result.stdout) as {
        namespaces: {
          namespace: string;
          mode: string;
          state: string;
          pods: { total: number; withSidecar: number; redirected: number };
        }[];
      }
    ).namespaces;
    const byName = new Map(statuses.map((s) => [s.namespace, s]));
    expect(byName.get(plainNs)?.mode).toBe("not-meshed");
    expect(byName.get(sidecarNs)?.mode).toBe("sidecar");
    expect(byName.get(sidecarNs)?.pods.withSidecar).toBeGreaterThan(0);
    expect(byName.get(migratingNs)?.state).toBe("migrating: after step 2");
    expect(byName.get(ambientNs)?.mode).toBe("ambient");
    const ambientPods = byName.get(ambientNs)?.pods;
    expect(ambientPods?.total).toBeGreaterThan(0);
    expect(ambientPods?.redirected).toBe(ambientPods?.total);

    const table = await cli(["status", "-n", sidecarNs]);
    expect(table.stdout.split("\n")[0]).toMatch(
      /^NAMESPACE\s+STATE\s+INJECTION\s+DATAPLANE\s+WAYPOINT\s+PODS/,
    );
  });
});

describe("ztunnel", () => {
  it("reads the workloads istioctl ztunnel-config shows, through port-forward", async () => {
    const config = await readZtunnel(port);
    expect(config.source).toMatch(/\(port-forward\)$/);
    const ours = config.workloadsIn(ambientNs);
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.every(capturedByZtunnel)).toBe(true);
    const theirs = JSON.parse((await istioctl(["ztunnel-config", "workloads", "-o", "json"])).stdout) as {
      name: string;
      namespace: string;
      protocol: string;
    }[];
    const summary = (list: readonly { name: string; namespace: string; protocol: string }[]) =>
      list
        .filter((w) => [ambientNs, sidecarNs, migratingNs].includes(w.namespace))
        .map((w) => `${w.namespace}/${w.name} ${w.protocol}`)
        .sort();
    expect(summary(config.workloads)).toEqual(summary(theirs));
  });
});

describe("RBAC", () => {
  const dir = mkdtempSync(join(tmpdir(), "am-rbac-"));
  const rbacFile = join(repoRoot, "deploy/rbac/ambient-migrate.yaml");

  it("the shipped ClusterRole is enough for status and backup", async () => {
    await kubectl(["apply", "-f", rbacFile]);
    const kubeconfig = await kubeconfigForServiceAccount("ambient-migrate");
    const status = await cli(["--kubeconfig", kubeconfig, "status", "-A", "-o", "json"]);
    expect(status.code, status.stderr).toBe(0);
    const backup = await cli([
      "--kubeconfig",
      kubeconfig,
      "backup",
      "-n",
      sidecarNs,
      "--out",
      join(dir, "b.yaml"),
    ]);
    expect(backup.code, backup.stderr).toBe(0);
  });

  it("a ClusterRole without list on pods gives exit 7 naming the verb, resource and scope", async () => {
    const docs = parseAllDocuments(readFileSync(rbacFile, "utf8")).map((d) => d.toJS());
    const role = docs.find((d) => d.kind === "ClusterRole");
    role.metadata.name = "ambient-migrate-no-pod-list";
    role.rules[0].resources = role.rules[0].resources.filter((r: string) => r !== "pods");
    const limited = [
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "ambient-migrate-limited", namespace: "istio-system" },
      },
      role,
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "ambient-migrate-limited" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: "ambient-migrate-limited", namespace: "istio-system" }],
      },
    ];
    await kubectl(["apply", "-f", "-"], { input: limited.map((d) => stringify(d)).join("---\n") });
    const result = await cli([
      "--kubeconfig",
      await kubeconfigForServiceAccount("ambient-migrate-limited"),
      "status",
      "-A",
    ]);
    expect(result.code).toBe(7);
    expect(result.stderr).toContain("error: forbidden: cannot list pods (cluster scope)");
    expect(result.stderr).toContain("deploy/rbac/ambient-migrate.yaml");
    expect(result.stderr).toContain("system:serviceaccount:istio-system:ambient-migrate-limited");
  });
});
