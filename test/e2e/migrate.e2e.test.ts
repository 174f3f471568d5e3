// migrate and rollback against the testbed's real apiserver, istiod, CNI and ztunnel, with the
// CLI as a process: Bookinfo's details (istio-injection=enabled) and ratings (istio.io/rev=1-27)
// migrated, killed and resumed, then rolled back to exactly what was there before.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stripServerFields } from "../../src/backup/strip.js";
import type { KubeObject } from "../../src/inventory/model.js";
import {
  apply,
  bookinfoApp,
  cli,
  createNamespace,
  deleteNamespaces,
  istioctl,
  kubeconfigPath,
  kubectl,
  kubectlJson,
  repoRoot,
} from "./harness.js";

const backupDir = mkdtempSync(join(tmpdir(), "am-e2e-backup-"));
const migrateArgs = (ns: string) => [
  "migrate",
  "-n",
  ns,
  "--yes",
  "--timeout",
  "120s",
  "--backup-dir",
  backupDir,
];

interface List {
  items: KubeObject[];
}

async function ensureRevisionTag(): Promise<void> {
  const tag = await kubectl(["get", "mutatingwebhookconfiguration", "istio-revision-tag-1-27"], {
    allowFail: true,
  });
  if (tag.code === 0) return;
  await istioctl(["tag", "set", "1-27", "--revision", "default", "--skip-confirmation"]);
  if (inject("testbed")) {
    const { execFileSync } = await import("node:child_process");
    execFileSync(join(repoRoot, "testbed/scripts/point-webhooks.sh"), { stdio: "inherit" });
  }
}

async function sampleNamespace(prefix: string, label: Record<string, string>, app: string): Promise<string> {
  const ns = await createNamespace(prefix, label);
  await apply(bookinfoApp(app), ns);
  const deployments = await kubectlJson<List>(["get", "deployments", "-n", ns]);
  for (const d of deployments.items)
    await kubectl(["rollout", "status", `deployment/${d.metadata.name}`, "-n", ns, "--timeout=120s"]);
  return ns;
}

async function pods(ns: string): Promise<KubeObject[]> {
  return (await kubectlJson<List>(["get", "pods", "-n", ns])).items.filter(
    (p) => !p.metadata.deletionTimestamp,
  );
}

const containerNames = (p: KubeObject) => [
  ...(p.spec.initContainers ?? []).map((c: { name: string }) => c.name),
  ...p.spec.containers.map((c: { name: string }) => c.name),
];

async function expectAmbient(ns: string): Promise<void> {
  const all = await pods(ns);
  expect(all.length).toBeGreaterThan(0);
  for (const p of all) {
    expect(containerNames(p)).not.toContain("istio-proxy");
    expect(p.metadata.annotations?.["ambient.istio.io/redirection"]).toBe("enabled");
  }
  // Real istioctl's view of ztunnel agrees: every pod HBONE, captured by ztunnel (no nativeTunnel).
  const out = await istioctl(["ztunnel-config", "workloads", "--workload-namespace", ns, "-o", "json"]);
  const workloads = JSON.parse(out.stdout) as { name: string; protocol: string; nativeTunnel?: boolean }[];
  for (const p of all) {
    const w = workloads.find((x) => x.name === p.metadata.name);
    expect(w, `ztunnel lists ${p.metadata.name}`).toBeDefined();
    expect(w?.protocol).toBe("HBONE");
    expect(w?.nativeTunnel ?? false).toBe(false);
  }
}

async function analyzeCodes(ns: string): Promise<string[]> {
  const r = await istioctl(["analyze", "-n", ns, "-o", "json"], { allowFail: true });
  const messages = JSON.parse(r.stdout || "[]") as { code: string; origin?: string }[];
  return messages.map((m) => `${m.code} ${m.origin ?? ""}`).sort();
}

async function journal(
  ns: string,
): Promise<{ status: string; currentStep: number; completedSteps: number[] }> {
  const cm = await kubectlJson<KubeObject>(["get", "configmap", "ambient-migrate-journal", "-n", ns]);
  return JSON.parse((cm.data as Record<string, string>)["journal.json"] as string);
}

/** Runs migrate as a child and SIGKILLs it as soon as the journal shows `step` running. */
async function killDuringStep(ns: string, step: number): Promise<number> {
  const env = {
    ...process.env,
    KUBECONFIG: kubeconfigPath(),
    PATH: inject("binDir") ? `${inject("binDir")}:${process.env.PATH}` : process.env.PATH,
  };
  const child: ChildProcess = spawn(
    process.execPath,
    [join(repoRoot, "bin/ambient-migrate.js"), ...migrateArgs(ns)],
    {
      env,
      stdio: "ignore",
    },
  );
  const watcher = spawn(
    "kubectl",
    [
      "get",
      "configmap",
      "-n",
      ns,
      "--field-selector=metadata.name=ambient-migrate-journal",
      "-w",
      "-o",
      'jsonpath={.metadata.annotations.ambient-migrate\\.io/step} {.metadata.annotations.ambient-migrate\\.io/status}{"\\n"}',
    ],
    { env },
  );
  const exited = new Promise<number>((resolve) =>
    child.on("exit", (code, signal) => resolve(signal ? -1 : (code ?? 0))),
  );
  let seen = "";
  watcher.stdout?.on("data", (chunk: Buffer) => {
    seen += chunk.toString();
    if (seen.split("\n").includes(`${step} running`)) child.kill("SIGKILL");
  });
  const code = await exited;
  watcher.kill();
  return code;
}

beforeAll(async () => {
  await ensureRevisionTag();
}, 300_000);

afterAll(async () => {
  await deleteNamespaces();
});

describe("migrate", () => {
  it("migrates an istio-injection=enabled namespace and an istio.io/rev=1-27 one", async () => {
    const plain = await sampleNamespace("mig-inj", { "istio-injection": "enabled" }, "details");
    const rev = await sampleNamespace("mig-rev", { "istio.io/rev": "1-27" }, "ratings");
    for (const ns of [plain, rev])
      expect(containerNames((await pods(ns))[0] as KubeObject)).toContain("istio-proxy");
    const before = { [plain]: await analyzeCodes(plain), [rev]: await analyzeCodes(rev) };

    const r = await cli(migrateArgs(`${plain},${rev}`));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`kubectl label namespace ${rev} istio.io/rev-`);
    for (const ns of [plain, rev]) {
      await expectAmbient(ns);
      expect(await journal(ns)).toMatchObject({ status: "done", currentStep: 6 });
      const newCodes = (await analyzeCodes(ns)).filter((c) => !before[ns]?.includes(c));
      expect(newCodes).toEqual([]);
    }
    const status = await cli(["status", "-n", `${plain},${rev}`]);
    expect(status.stdout).toMatch(new RegExp(`${plain}\\s+migrated`));

    // A second run is a no-op.
    const again = await cli(migrateArgs(plain));
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already-migrated");
  });

  for (const step of [2, 4]) {
    it(`resumes after being killed during step ${step}`, async () => {
      const ns = await sampleNamespace(`mig-kill${step}`, { "istio.io/rev": "1-27" }, "details");
      const code = await killDuringStep(ns, step);
      expect(code).toBe(-1); // killed, not finished
      const stopped = await journal(ns);
      expect(stopped.status).toBe("running");
      expect(stopped.currentStep).toBeGreaterThanOrEqual(step);
      const r = await cli(migrateArgs(ns));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain("resuming");
      await expectAmbient(ns);
      expect(await journal(ns)).toMatchObject({ status: "done" });
    });
  }
});

describe("rollback", () => {
  it("after step 5 restores labels, sidecars and Istio objects as they were", async () => {
    const ns = await sampleNamespace("rb-rev", { "istio.io/rev": "1-27" }, "ratings");
    // An L7 selector policy: step 1 creates a waypoint and its translation, step 5 deletes it.
    await apply(
      `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ratings-get-only
spec:
  selector:
    matchLabels:
      app: ratings
  action: ALLOW
  rules:
  - to:
    - operation:
        methods: ["GET"]
`,
      ns,
    );
    const istioKinds = "authorizationpolicies.security.istio.io,peerauthentications.security.istio.io";
    const objectsBefore = (await kubectlJson<List>(["get", istioKinds, "-n", ns])).items.map(
      stripServerFields,
    );
    const nsBefore = (await kubectlJson<KubeObject>(["get", "namespace", ns])).metadata.labels;
    const containersBefore = (await pods(ns)).map(containerNames);

    const m = await cli(migrateArgs(ns));
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toContain(
      `kubectl delete authorizationpolicies.security.istio.io ratings-get-only -n ${ns}`,
    );
    await kubectl(["get", "gateways.gateway.networking.k8s.io", "waypoint", "-n", ns]);
    const r = await cli(["rollback", ns, "--yes", "--timeout", "120s"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`kubectl label namespace ${ns} istio.io/rev=1-27 --overwrite`);

    expect((await kubectlJson<KubeObject>(["get", "namespace", ns])).metadata.labels).toEqual(nsBefore);
    const after = await pods(ns);
    expect(after.map(containerNames)).toEqual(containersBefore);
    expect((await kubectlJson<List>(["get", istioKinds, "-n", ns])).items.map(stripServerFields)).toEqual(
      objectsBefore,
    );
    expect((await kubectlJson<List>(["get", "gateways.gateway.networking.k8s.io", "-n", ns])).items).toEqual(
      [],
    );
    expect((await journal(ns)).status).toBe("rolled-back");
    const status = await cli(["status", "-n", ns]);
    expect(status.stdout).toMatch(new RegExp(`${ns}\\s+rolled back`));
  });
});
