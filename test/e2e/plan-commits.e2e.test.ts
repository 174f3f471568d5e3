// Issue 13, the plan as commits, on the testbed: the example mesh's bookinfo and payments
// namespaces (renamed, so that runs do not collide) are applied as a GitOps controller would
// (server-side apply of the files), `plan --output-dir --format kustomize` writes their steps, and
// each step is applied with `kubectl apply -k` (then `kubectl delete -f delete.yaml` where there is
// one), with `migrate --verify-only` failing before the step (exit 9) and passing after it (exit 0),
// and never writing a journal.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../../src/inventory/model.js";
import { sidecarFacts } from "../../src/mesh/sidecar.js";
import { toYaml } from "../../src/serialize.js";
import { cli, kubectl, kubectlJson, repoRoot } from "./harness.js";

const work = mkdtempSync(join(tmpdir(), "am-e2e-commits-"));
const suffix = Math.random().toString(16).slice(2, 8);
const PLAN_FLAGS = ["--accept-translation-losses", "--patch-forced-injection"];
const created: string[] = [];

afterAll(async () => {
  if (created.length > 0)
    await kubectl(["delete", "namespace", ...created, "--wait=false"], { allowFail: true });
});

/** The example's namespace `name` as `<name>-<suffix>`: its Namespace object and every object in it. */
function renamedExample(name: string): string {
  const to = `${name}-${suffix}`;
  const dir = join(repoRoot, "examples/bookinfo-mesh", name);
  const texts = [
    readFileSync(join(repoRoot, "examples/bookinfo-mesh/namespaces.yaml"), "utf8"),
    ...readdirSync(dir).map((f) => readFileSync(join(dir, f), "utf8")),
  ];
  const objects: KubeObject[] = [];
  for (const text of texts)
    for (const doc of parseAllDocuments(text)) {
      const o = doc.toJS() as KubeObject | null;
      if (!o) continue;
      if (o.kind === "Namespace") {
        if (o.metadata.name !== name) continue;
        o.metadata.name = to;
      } else o.metadata.namespace = to;
      objects.push(o);
    }
  return objects
    .map((o) => toYaml(o))
    .join("---\n")
    .replaceAll(`/ns/${name}/`, `/ns/${to}/`);
}

const hasSidecar = (p: KubeObject) => sidecarFacts(p.spec, p.metadata.annotations ?? {}).hasSidecar;

async function pods(ns: string): Promise<KubeObject[]> {
  return (await kubectlJson<{ items: KubeObject[] }>(["-n", ns, "get", "pods"])).items.filter(
    (p) => !p.metadata.deletionTimestamp && !p.metadata.name.startsWith("waypoint"),
  );
}

async function rolledOut(ns: string): Promise<void> {
  for (const kind of ["deployment", "statefulset"]) {
    const names = (await kubectl(["-n", ns, "get", kind, "-o", "name"])).stdout.split("\n").filter(Boolean);
    for (const n of names) await kubectl(["-n", ns, "rollout", "status", n, "--timeout=180s"]);
  }
}

/** Gates each step's verification must have passed (what --verify-only prints as it goes). */
const GATES: Record<number, ((ns: string) => string)[]> = {
  1: [(ns) => `passed: waypoint ${ns}/waypoint Programmed=True`],
  2: [(ns) => `gate: ztunnel lists every pod of ${ns} with protocol HBONE`],
  3: [(ns) => `gate: namespace ${ns} no longer selects the sidecar injector`],
  4: [(ns) => `gate: no pod of ${ns} runs istio-proxy`],
  6: [
    (ns) => `gate: no pod of ${ns} runs istio-proxy`,
    (ns) => `gate: pods of ${ns} redirected to ztunnel`,
    () => "gate: istiod accepted",
  ],
};

const verify = (ns: string, step: number, timeout = "3m") =>
  cli(["migrate", "--verify-only", "-n", ns, "--step", String(step), "--timeout", timeout, ...PLAN_FLAGS]);

describe("the plan as commits, applied step by step with kubectl apply -k", () => {
  it("bookinfo and payments of the example mesh reach ambient, verified after every step", async () => {
    const names = ["bookinfo", "payments"];
    const meshDir = join(work, "mesh");
    mkdirSync(meshDir);
    for (const name of names) writeFileSync(join(meshDir, `${name}.yaml`), renamedExample(name));
    const namespaces = names.map((n) => `${n}-${suffix}`);
    created.push(...namespaces);
    // As a GitOps controller's first sync would: server-side apply of the manifests.
    await kubectl(["apply", "--server-side", "-f", meshDir]);
    for (const ns of namespaces) await rolledOut(ns);
    for (const ns of namespaces) expect((await pods(ns)).every(hasSidecar)).toBe(true);

    const out = join(work, "commits");
    const planned = await cli([
      "plan",
      "-f",
      meshDir,
      "-A",
      ...PLAN_FLAGS,
      "--output-dir",
      out,
      "--format",
      "kustomize",
    ]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stderr).toMatch(/wrote \d+ file\(s\) to/);

    await Promise.all(
      namespaces.map(async (ns) => {
        const dir = join(out, "wave-1", ns);
        const steps = readdirSync(dir)
          .filter((d) => d.startsWith("step-"))
          .sort();
        expect(steps).toEqual([
          "step-1-activate-waypoint",
          "step-2-enable-ambient",
          "step-3-remove-injection",
          "step-4-restart",
          "step-5-remove-sidecar-config",
          "step-6-validate",
        ]);
        for (const [i, step] of steps.entries()) {
          const n = i + 1;
          const readme = readFileSync(join(dir, step, "README.md"), "utf8");
          expect(readme).toContain(
            `ambient-migrate migrate --verify-only -n ${ns} --step ${n} ${PLAN_FLAGS.join(" ")}`,
          );
          // Not yet applied: the step's changes are not in place (or its pods still have sidecars).
          if (n !== 6) {
            const before = await verify(ns, n, "5s");
            expect(before.code, `${ns} step ${n} before apply: ${before.stderr}`).toBe(9);
            expect(before.stderr).toContain(
              n === 4 ? `"no pod of ${ns} runs istio-proxy" did not pass` : "is not in place",
            );
          }
          await kubectl(["apply", "--server-side", "-k", join(dir, step)]);
          if (existsSync(join(dir, step, "delete.yaml")))
            await kubectl(["delete", "-f", join(dir, step, "delete.yaml")]);
          const after = await verify(ns, n);
          expect(after.code, `${ns} step ${n} after apply: ${after.stderr}`).toBe(0);
          expect(after.stdout).toContain("verified");
          expect(after.stderr).toMatch(new RegExp(`the \\d+ change\\(s\\) of steps 1-${n} are in place`));
          for (const gate of GATES[n] ?? []) expect(after.stderr, `${ns} step ${n}`).toContain(gate(ns));
        }
        const labels = (await kubectlJson<KubeObject>(["get", "namespace", ns])).metadata.labels ?? {};
        expect(labels["istio-injection"]).toBeUndefined();
        expect(labels).toMatchObject({
          "istio.io/dataplane-mode": "ambient",
          "istio.io/use-waypoint": "waypoint",
        });
        expect((await pods(ns)).some(hasSidecar)).toBe(false);
        // --verify-only never wrote a journal, nor took a lock.
        const cms = await kubectlJson<{ items: KubeObject[] }>(["-n", ns, "get", "configmaps"]);
        expect(cms.items.map((c) => c.metadata.name)).not.toContain("ambient-migrate-journal");
        const leases = await kubectlJson<{ items: KubeObject[] }>(["-n", ns, "get", "leases"]);
        expect(leases.items).toEqual([]);
      }),
    );
  }, 1_200_000);
});
