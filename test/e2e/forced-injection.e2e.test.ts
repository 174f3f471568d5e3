// A pod template that asks for a sidecar itself (`sidecar.istio.io/inject: "true"`) on the
// testbed: without --patch-forced-injection, step 3 only warns and step 6 finds the sidecar still
// there (exit 9); with it, step 3 removes the template label, the namespace ends with no sidecar,
// and rollback puts the label back and the sidecar with it.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/inventory/model.js";
import { sidecarFacts } from "../../src/mesh/sidecar.js";
import {
  apply,
  bookinfoApp,
  cli,
  createNamespace,
  deleteNamespaces,
  kubectl,
  kubectlJson,
} from "./harness.js";

const FORCE = "sidecar.istio.io/inject";
const backupDir = mkdtempSync(join(tmpdir(), "am-e2e-forced-"));
const migrateArgs = (ns: string, timeout: string) => [
  "migrate",
  "-n",
  ns,
  "--yes",
  "--timeout",
  timeout,
  "--backup-dir",
  backupDir,
];

/** details with the sidecar, its pod template carrying sidecar.istio.io/inject=true. */
async function forcedNamespace(prefix: string): Promise<string> {
  const ns = await createNamespace(prefix, { "istio-injection": "enabled" });
  await apply(bookinfoApp("details"), ns);
  await kubectl([
    "-n",
    ns,
    "patch",
    "deployment/details-v1",
    "--type=merge",
    "-p",
    JSON.stringify({ spec: { template: { metadata: { labels: { [FORCE]: "true" } } } } }),
  ]);
  await kubectl(["-n", ns, "rollout", "status", "deployment/details-v1", "--timeout=120s"]);
  return ns;
}

async function templateLabels(ns: string): Promise<Record<string, string>> {
  const d = await kubectlJson<KubeObject>(["-n", ns, "get", "deployment/details-v1"]);
  return d.spec.template.metadata.labels ?? {};
}

/** The details pods once the rollout has settled: no pod terminating. */
async function settledPods(ns: string): Promise<KubeObject[]> {
  await kubectl(["-n", ns, "rollout", "status", "deployment/details-v1", "--timeout=120s"]);
  for (let i = 0; i < 60; i++) {
    const pods = (await kubectlJson<{ items: KubeObject[] }>(["-n", ns, "get", "pods", "-l", "app=details"]))
      .items;
    if (pods.length > 0 && pods.every((p) => !p.metadata.deletionTimestamp)) return pods;
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`details pods of ${ns} did not settle`);
}

const hasSidecar = (p: KubeObject) => sidecarFacts(p.spec, p.metadata.annotations ?? {}).hasSidecar;

afterAll(deleteNamespaces);

describe.concurrent("a pod template that forces injection", () => {
  it("without --patch-forced-injection: step 3 warns, and step 6 finds the sidecar (exit 9)", async () => {
    const ns = await forcedNamespace("fi-off");
    const r = await cli(migrateArgs(ns, "30s"));
    expect(r.code, r.stderr).toBe(9);
    expect(r.stderr).toContain(`Deployment details-v1's pod template carries ${FORCE}=true`);
    expect(r.stderr).toContain(`step 6 (Validate) of ${ns}: "no pod of ${ns} runs istio-proxy" did not pass`);
    expect(await templateLabels(ns)).toMatchObject({ [FORCE]: "true" });
    const pods = await settledPods(ns);
    expect(pods.some(hasSidecar)).toBe(true);
  });

  it("with it: step 3 removes the template label, no sidecar is left; rollback brings both back", async () => {
    const ns = await forcedNamespace("fi-on");
    const plan = await cli(["plan", "-n", ns, "--patch-forced-injection", "-o", "json"]);
    expect(plan.code, plan.stderr).toBe(0);
    const step3 = JSON.parse(plan.stdout).namespaces[0].steps.find((s: { step: number }) => s.step === 3);
    expect(step3.changes).toContainEqual({
      type: "template-metadata",
      target: { apiVersion: "apps/v1", kind: "Deployment", namespace: ns, name: "details-v1" },
      field: "labels",
      key: FORCE,
      value: null,
      previous: "true",
    });

    const r = await cli([...migrateArgs(ns, "2m"), "--patch-forced-injection"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `kubectl patch deployment details-v1 -n ${ns} --type=merge -p '{"spec":{"template":{"metadata":{"labels":{"${FORCE}":null}}}}}'`,
    );
    expect(await templateLabels(ns)).not.toHaveProperty(FORCE);
    const migrated = await settledPods(ns);
    expect(migrated.some(hasSidecar)).toBe(false);
    const journal = await kubectlJson<{ data: Record<string, string> }>([
      "-n",
      ns,
      "get",
      "configmap/ambient-migrate-journal",
    ]);
    const changes = JSON.parse(journal.data["journal.json"] ?? "{}").changes as {
      type: string;
      previous?: string;
    }[];
    expect(changes.find((c) => c.type === "template-metadata")).toMatchObject({ previous: "true" });

    const rb = await cli(["rollback", ns, "--yes", "--timeout", "2m"]);
    expect(rb.code, rb.stderr).toBe(0);
    expect(await templateLabels(ns)).toMatchObject({ [FORCE]: "true" });
    const back = await settledPods(ns);
    expect(back.length).toBeGreaterThan(0);
    expect(back.every(hasSidecar)).toBe(true);
  });
});
