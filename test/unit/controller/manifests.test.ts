// The controller's manifests, offline (kustomize and helm are not installed here): every file a
// kustomization names parses, the CRD's schema accepts what the controller reads and refuses
// what it would refuse, the Deployment runs the controller non-root on a read-only root
// filesystem, and its RBAC adds to deploy/rbac only what the controller itself needs.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { controllerCommand } from "../../../src/cli/commands/controller.js";
import { specOf } from "../../../src/controller/resource.js";
import type { KubeObject } from "../../../src/inventory/model.js";

const repo = new URL("../../..", import.meta.url).pathname;

function kustomize(dir: string): KubeObject[] {
  const k = parse(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as { resources: string[] };
  return k.resources.flatMap((r) =>
    r.endsWith(".yaml")
      ? parseAllDocuments(readFileSync(join(dir, r), "utf8")).map((d) => d.toJS() as KubeObject)
      : kustomize(join(dir, r)),
  );
}

const docs = kustomize(join(repo, "deploy/controller"));
const find = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);

/** The CRD's openAPIV3Schema as JSON Schema: Kubernetes' own keywords dropped. */
function validator() {
  const crd = find("CustomResourceDefinition", "ambientmigrations.ambient-migrate.io");
  const schema = JSON.parse(
    JSON.stringify(crd?.spec.versions[0].schema.openAPIV3Schema, (key, value) =>
      key.startsWith("x-kubernetes-") ? undefined : value,
    ),
  );
  return new Ajv({ strict: false }).compile(schema);
}

describe("deploy/controller (kustomize)", () => {
  it("parses into the base RBAC, the CRD, the controller's RBAC and the Deployment", () => {
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      "ServiceAccount/ambient-migrate",
      "ClusterRole/ambient-migrate",
      "ClusterRoleBinding/ambient-migrate",
      "CustomResourceDefinition/ambientmigrations.ambient-migrate.io",
      "ClusterRole/ambient-migrate-controller",
      "ClusterRoleBinding/ambient-migrate-controller",
      "Role/ambient-migrate-controller-leader",
      "RoleBinding/ambient-migrate-controller-leader",
      "Deployment/ambient-migrate-controller",
    ]);
  });

  it("the CRD's schema takes what specOf reads, and refuses a step out of range", () => {
    const validate = validator();
    const object = {
      apiVersion: "ambient-migrate.io/v1alpha1",
      kind: "AmbientMigration",
      metadata: { name: "shop" },
      spec: { namespaces: ["shop"], waves: true, targetStep: 4, paused: false, rollback: false },
    };
    expect(validate(object), JSON.stringify(validate.errors)).toBe(true);
    expect(specOf(object).targetStep).toBe(4);
    expect(validate({ ...object, spec: { namespaces: ["shop"], targetStep: 7 } })).toBe(false);
    expect(validate({ ...object, spec: { namespaces: [] } })).toBe(false);
  });

  it("the Deployment: 2 replicas of the controller, non-root, read-only root filesystem, the shipped ServiceAccount", () => {
    const deployment = find("Deployment", "ambient-migrate-controller");
    const pod = deployment?.spec.template.spec;
    const container = pod.containers[0];
    expect(deployment?.spec.replicas).toBe(2);
    expect(pod.serviceAccountName).toBe("ambient-migrate");
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    // Every flag it passes is one the command takes.
    const command = controllerCommand({ out: process.stdout, err: process.stderr } as never);
    expect(container.args[0]).toBe("controller");
    const known = new Set(command.options.map((o) => o.long));
    for (const arg of container.args.slice(1).filter((a: string) => a.startsWith("--")))
      expect(known).toContain(arg);
    // Where it writes is a volume, not the read-only root.
    const dir = container.args[container.args.indexOf("--backup-dir") + 1];
    expect(container.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain(dir);
  });

  it("the controller's own RBAC: its AmbientMigrations (read, status) and its Lease, bound to the base ServiceAccount", () => {
    const role = find("ClusterRole", "ambient-migrate-controller");
    expect(role?.rules).toEqual([
      {
        apiGroups: ["ambient-migrate.io"],
        resources: ["ambientmigrations"],
        verbs: ["get", "list", "watch"],
      },
      { apiGroups: ["ambient-migrate.io"], resources: ["ambientmigrations/status"], verbs: ["get", "patch"] },
    ]);
    expect(find("Role", "ambient-migrate-controller-leader")?.rules).toEqual([
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "patch"] },
    ]);
    for (const binding of docs.filter((d) => d.kind.endsWith("Binding")))
      expect(binding.subjects).toEqual([
        { kind: "ServiceAccount", name: "ambient-migrate", namespace: "istio-system" },
      ]);
  });
});

describe("deploy/helm/ambient-migrate", () => {
  const chart = join(repo, "deploy/helm/ambient-migrate");
  const read = (path: string) => readFileSync(join(chart, path), "utf8");

  it("installs the very CRD of deploy/controller (Helm's crds/ directory)", () => {
    expect(read("crds/ambientmigrations.yaml")).toBe(
      readFileSync(join(repo, "deploy/controller/crd.yaml"), "utf8"),
    );
  });

  it("grants the tool's ClusterRole exactly the rules of deploy/rbac", () => {
    const base = docs.find((d) => d.kind === "ClusterRole" && d.metadata.name === "ambient-migrate");
    expect(parse(read("files/rules.yaml"))).toEqual(base?.rules);
  });

  it("passes the controller only flags it takes, and defaults to 2 replicas", () => {
    const values = parse(read("values.yaml"));
    expect(values.replicaCount).toBe(2);
    const command = controllerCommand({ out: process.stdout, err: process.stderr } as never);
    const known = new Set(command.options.map((o) => o.long));
    const flags = [...read("templates/deployment.yaml").matchAll(/^\s+- (--[a-z-]+)$/gm)].map((m) => m[1]);
    expect(flags.length).toBeGreaterThan(5);
    for (const flag of flags) expect(known).toContain(flag);
    expect(read("templates/deployment.yaml")).toContain("readOnlyRootFilesystem: true");
    expect(read("templates/deployment.yaml")).toContain("runAsNonRoot: true");
  });
});
