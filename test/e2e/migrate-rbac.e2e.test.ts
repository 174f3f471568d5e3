// Least privilege on the testbed: a whole migrate and rollback of a namespace run as a
// ServiceAccount bound only to the shipped ClusterRole (deploy/rbac/ambient-migrate.yaml); with
// one verb the migration needs taken away, the tool stops with exit 7 naming the verb, the
// resource and the scope.

import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { detailsNamespace } from "./details-sample.js";
import { cli, deleteNamespaces, kubeconfigForServiceAccount, kubectl, repoRoot } from "./harness.js";

const dir = mkdtempSync(join(tmpdir(), "am-e2e-rbac-"));
const rbacFile = join(repoRoot, "deploy/rbac/ambient-migrate.yaml");
const shipped = parseAllDocuments(readFileSync(rbacFile, "utf8")).map((d) => d.toJS());
/** Cluster-scoped objects this file creates besides the shipped ones; deleted afterwards. */
const extra: string[] = [];
const serviceAccounts: string[] = [];

/** The shipped ServiceAccount, ClusterRole and binding, renamed, with `edit` applied to the role. */
async function variantOfShipped(name: string, edit: (rules: RbacRule[]) => RbacRule[]): Promise<void> {
  const docs = structuredClone(shipped);
  for (const d of docs) {
    d.metadata.name = name;
    if (d.kind === "ClusterRole") d.rules = edit(d.rules);
    if (d.kind === "ClusterRoleBinding") {
      d.roleRef.name = name;
      d.subjects[0].name = name;
    }
  }
  await kubectl(["apply", "-f", "-"], { input: docs.map((d) => stringify(d)).join("---\n") });
  extra.push(`clusterrole/${name}`, `clusterrolebinding/${name}`);
  serviceAccounts.push(name);
}

interface RbacRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}

const backupArgs = ["--backup-dir", dir, "--timeout", "2m", "--yes"];

beforeAll(async () => {
  await kubectl(["apply", "-f", rbacFile]);
});

afterAll(async () => {
  await deleteNamespaces();
  if (extra.length > 0) await kubectl(["delete", ...extra, "--ignore-not-found"], { allowFail: true });
  if (serviceAccounts.length > 0)
    await kubectl(
      ["-n", "istio-system", "delete", "serviceaccount", ...serviceAccounts, "--ignore-not-found"],
      {
        allowFail: true,
      },
    );
});

describe("the shipped ClusterRole", () => {
  it("is enough for a whole migrate and rollback of a namespace", async () => {
    const ns = await detailsNamespace("rbac-full");
    const kubeconfig = await kubeconfigForServiceAccount("ambient-migrate");
    const m = await cli(["--kubeconfig", kubeconfig, "migrate", "-n", ns, ...backupArgs]);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toMatch(new RegExp(`${ns}\\s+migrated`));
    const r = await cli(["--kubeconfig", kubeconfig, "rollback", ns, "--yes", "--timeout", "2m"]);
    expect(r.code, r.stderr).toBe(0);
    const labels = JSON.parse((await kubectl(["get", "namespace", ns, "-o", "json"])).stdout).metadata.labels;
    expect(labels["istio-injection"]).toBe("enabled");
  });

  it("without patch on namespaces: exit 7 naming the verb, the resource and the scope", async () => {
    const ns = await detailsNamespace("rbac-nopatch");
    const name = `ambient-migrate-nopatch-${randomBytes(3).toString("hex")}`;
    await variantOfShipped(name, (rules) =>
      rules
        .map((rule) =>
          rule.resources?.includes("namespaces")
            ? { ...rule, verbs: rule.verbs.filter((v) => v !== "patch") }
            : rule,
        )
        .filter((rule) => rule.verbs.length > 0),
    );
    const m = await cli([
      "--kubeconfig",
      await kubeconfigForServiceAccount(name),
      "migrate",
      "-n",
      ns,
      ...backupArgs,
    ]);
    expect(m.code, m.stderr).toBe(7);
    expect(m.stderr).toContain("forbidden: cannot patch namespaces (cluster scope)");
    expect(m.stderr).toContain(`system:serviceaccount:istio-system:${name}`);
    expect(m.stderr).toContain("deploy/rbac/ambient-migrate.yaml");
  });
});
