// The Helm chart rendered by real helm (scripts/helm.sh builds it once from the Go module proxy):
// it gives the objects deploy/controller gives (the same CRD, deploy/rbac's rules, the
// controller's RBAC, the Deployment's security settings and flags), its values change what they
// say, and the testbed's apiserver accepts every rendered object (server-side dry run). deploy/controller
// is built by kubectl's own kustomize, as `kubectl apply -k` builds it.

import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import type { KubeObject } from "../../src/inventory/model.js";
import { kubectl, repoRoot } from "./harness.js";

const run = promisify(execFile);
const chart = join(repoRoot, "deploy/helm/ambient-migrate");

async function helmTemplate(...set: string[]): Promise<KubeObject[]> {
  const { stdout } = await run(
    join(repoRoot, "scripts/helm.sh"),
    [
      "template",
      "ambient-migrate",
      chart,
      "-n",
      "istio-system",
      "--include-crds",
      ...set.flatMap((s) => ["--set", s]),
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as KubeObject)
    .filter((d) => d);
}

/** deploy/controller as kubectl apply -k builds it (kubectl's own kustomize). */
async function kustomize(dir: string): Promise<KubeObject[]> {
  const { stdout } = await kubectl(["kustomize", dir]);
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as KubeObject)
    .filter((d) => d);
}

const controllerDir = join(repoRoot, "deploy/controller");
let shipped: KubeObject[];
const one = (docs: KubeObject[], kind: string, name: string) => {
  const found = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!found)
    throw new Error(`no ${kind} ${name} in ${docs.map((d) => `${d.kind}/${d.metadata.name}`).join(", ")}`);
  return found;
};

let rendered: KubeObject[];

beforeAll(async () => {
  rendered = await helmTemplate();
  shipped = await kustomize(controllerDir);
});

describe("helm template deploy/helm/ambient-migrate", () => {
  it("renders what deploy/controller ships: the same CRD, RBAC rules and pod security", () => {
    expect(rendered.map((d) => d.kind).sort()).toEqual(shipped.map((d) => d.kind).sort());
    const crd = "ambientmigrations.ambient-migrate.io";
    expect(one(rendered, "CustomResourceDefinition", crd)).toEqual(
      one(shipped, "CustomResourceDefinition", crd),
    );
    expect(one(rendered, "ClusterRole", "ambient-migrate").rules).toEqual(
      one(shipped, "ClusterRole", "ambient-migrate").rules,
    );
    expect(one(rendered, "ClusterRole", "ambient-migrate-controller").rules).toEqual(
      one(shipped, "ClusterRole", "ambient-migrate-controller").rules,
    );
    expect(one(rendered, "Role", "ambient-migrate-controller-leader").rules).toEqual(
      one(shipped, "Role", "ambient-migrate-controller-leader").rules,
    );
    const pod = (docs: KubeObject[]) =>
      one(docs, "Deployment", "ambient-migrate-controller").spec.template.spec;
    const [mine, theirs] = [pod(rendered), pod(shipped)];
    expect(mine.serviceAccountName).toBe(theirs.serviceAccountName);
    expect(mine.securityContext).toEqual(theirs.securityContext);
    expect(mine.containers[0].securityContext).toEqual(theirs.containers[0].securityContext);
    expect(mine.containers[0].volumeMounts).toEqual(theirs.containers[0].volumeMounts);
    expect(one(rendered, "Deployment", "ambient-migrate-controller").spec.replicas).toBe(2);
    expect(mine.containers[0].image).toBe("ambient-migrate:0.1.0");
    expect(mine.containers[0].args).toEqual([
      ...theirs.containers[0].args,
      "--lease-name",
      "ambient-migrate-controller",
      "--lease-duration",
      "15s",
      "--renew-deadline",
      "10s",
      "--retry-period",
      "2s",
      "--timeout",
      "5m",
      "--workers",
      "4",
    ]);
  });

  it("values: the image, a shared backup claim, a watch selector", async () => {
    const docs = await helmTemplate(
      "image.repository=registry.example/ambient-migrate",
      "image.tag=1.2.3",
      "backups.persistentVolumeClaim=am-backups",
      "controller.watchSelector=shard=a",
      "replicaCount=3",
    );
    const deployment = one(docs, "Deployment", "ambient-migrate-controller");
    const pod = deployment.spec.template.spec;
    expect(deployment.spec.replicas).toBe(3);
    expect(pod.containers[0].image).toBe("registry.example/ambient-migrate:1.2.3");
    expect(pod.volumes.find((v: { name: string }) => v.name === "backups")).toEqual({
      name: "backups",
      persistentVolumeClaim: { claimName: "am-backups" },
    });
    expect(pod.containers[0].args.slice(-2)).toEqual(["--watch-selector", "shard=a"]);
  });

  it("kubectl apply -k deploy/controller: the apiserver accepts every object (server-side dry run)", async () => {
    const r = await kubectl(["apply", "--dry-run=server", "-k", controllerDir]);
    for (const d of shipped) expect(r.stdout).toContain(`/${d.metadata.name}`);
    expect(shipped.map((d) => d.kind)).toEqual(
      expect.arrayContaining(["CustomResourceDefinition", "Deployment"]),
    );
  });

  it("the testbed's apiserver accepts every rendered object (server-side dry run)", async () => {
    const r = await kubectl(["apply", "--dry-run=server", "-f", "-"], {
      input: rendered.map((d) => stringify(d)).join("---\n"),
    });
    for (const d of rendered) expect(r.stdout).toContain(`/${d.metadata.name}`);
  });
});
