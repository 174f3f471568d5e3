// Issue 4 on the testbed, step by step: for every step k, a migrate killed (SIGKILL) while the
// journal shows step k in progress is finished by the next run; and for every step k, a
// migration stopped right after step k is rolled back to exactly what was there before
// (namespace labels, sidecars on every pod, every Istio and Gateway API object).
// One CLI per namespace; the namespaces run concurrently.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stripServerFields } from "../../src/backup/strip.js";
import { connectCluster } from "../../src/cluster/connect.js";
import type { ClusterPort } from "../../src/cluster/port.js";
import { K, KINDS, kindInfo } from "../../src/inventory/kinds.js";
import type { KubeObject } from "../../src/inventory/model.js";
import { A, L } from "../../src/mesh/labels.js";
import { sidecarFacts } from "../../src/mesh/sidecar.js";
import { type Journal, readJournal } from "../../src/run/journal.js";
import { detailsNamespace } from "./details-sample.js";
import { cli, deleteNamespaces, kubeconfigPath, kubectl, repoRoot } from "./harness.js";

const backupDir = mkdtempSync(join(tmpdir(), "am-e2e-steps-"));
const migrateArgs = (ns: string) => [
  "migrate",
  "-n",
  ns,
  "--yes",
  "--timeout",
  "2m",
  "--backup-dir",
  backupDir,
];

let port: ClusterPort;

// --- what must come back -------------------------------------------------------------------

/** The namespace's Istio and Gateway API kinds that this apiserver serves, plus Services (subset Services). */
async function comparedKinds() {
  const wanted = KINDS.filter(
    (k) =>
      k.namespaced &&
      (k.group.endsWith("istio.io") || k.group === "gateway.networking.k8s.io" || k.kind === "Service"),
  );
  const served = await Promise.all(wanted.map((k) => port.hasResource(k.group, k.version, k.plural)));
  return wanted.filter((_, i) => served[i]);
}

type Container = { name: string; restartPolicy?: string };
type ContainerStatus = { name: string; ready?: boolean };

/** kubectl's READY column: ready/total over app containers and native sidecars (restartable init containers). */
function readyColumn(pod: KubeObject): string {
  const sidecars = ((pod.spec.initContainers ?? []) as Container[]).filter(
    (c) => c.restartPolicy === "Always",
  );
  const total = (pod.spec.containers as Container[]).length + sidecars.length;
  const statuses = [
    ...((pod.status?.containerStatuses ?? []) as ContainerStatus[]),
    ...((pod.status?.initContainerStatuses ?? []) as ContainerStatus[]).filter((s) =>
      sidecars.some((c) => c.name === s.name),
    ),
  ];
  return `${statuses.filter((s) => s.ready).length}/${total}`;
}

interface Snapshot {
  labels: Record<string, string>;
  pods: string[];
  objects: KubeObject[];
}

async function snapshot(ns: string): Promise<Snapshot> {
  const namespace = await port.get({ apiVersion: "v1", kind: "Namespace", name: ns });
  const pods = await appPods(ns);
  const objects: KubeObject[] = [];
  for (const kind of await comparedKinds())
    for (const o of (await port.list(kind, ns)).items) objects.push(stripServerFields(o));
  const id = (o: KubeObject) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`;
  return {
    labels: (namespace?.metadata.labels ?? {}) as Record<string, string>,
    pods: pods
      .map((p) => {
        const init = ((p.spec.initContainers ?? []) as Container[]).map((c) => `init:${c.name}`);
        const main = (p.spec.containers as Container[]).map((c) => c.name);
        return `${p.metadata.labels?.app} ${readyColumn(p)} ${[...init, ...main].join(",")}`;
      })
      .sort(),
    objects: objects.sort((a, b) => id(a).localeCompare(id(b))),
  };
}

/** Pods settle after a rollout: wait until the old ones are gone and every new one is ready. */
async function settledSnapshot(ns: string): Promise<Snapshot> {
  await kubectl(["-n", ns, "rollout", "status", "deployment/details-v1", "--timeout=120s"]);
  const pods = kindInfo(K.Pod);
  await port.waitFor(
    pods,
    ns,
    (items) => items.every((p) => !p.metadata.deletionTimestamp && /^(\d+)\/\1$/.test(readyColumn(p))),
    { timeoutMs: 60_000 },
  );
  return snapshot(ns);
}

// --- the journal and the child run ---------------------------------------------------------

/** The journal as stored in the namespace's ConfigMap. */
async function journal(ns: string): Promise<Journal> {
  const stored = await readJournal(port, ns);
  if (!stored) throw new Error(`${ns} has no journal ConfigMap`);
  return stored;
}

/**
 * Runs migrate as a child and SIGKILLs it when it announces `step`: the executor prints
 * "step k: <title>" only after the journal recording step k as running was written.
 */
async function killAtStep(ns: string, step: number): Promise<{ signal: string | null; stderr: string }> {
  const bin = inject("binDir");
  const child: ChildProcess = spawn(
    process.execPath,
    [join(repoRoot, "bin/ambient-migrate.js"), ...migrateArgs(ns)],
    {
      env: {
        ...process.env,
        KUBECONFIG: kubeconfigPath(),
        PATH: bin ? `${bin}:${process.env.PATH}` : process.env.PATH,
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const announced = new RegExp(`^step ${step}: `, "m");
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (announced.test(stderr)) child.kill("SIGKILL");
  });
  const signal = await new Promise<string | null>((resolve) => child.on("exit", (_code, s) => resolve(s)));
  return { signal, stderr };
}

/** The application's pods: the waypoint's own proxy pod opts out of the mesh (dataplane-mode=none). */
async function appPods(ns: string): Promise<KubeObject[]> {
  return (await port.list(kindInfo(K.Pod), ns)).items.filter(
    (p) => !p.metadata.deletionTimestamp && p.metadata.labels?.[L.dataplaneMode] !== "none",
  );
}

beforeAll(() => {
  port = connectCluster({ kubeconfig: kubeconfigPath() }, () => {});
});

afterAll(deleteNamespaces);

describe.concurrent("SIGKILL while the journal shows step k in progress, then run again", () => {
  it.for([1, 2, 3, 4, 5, 6])("step %i", async (step) => {
    const ns = await detailsNamespace(`stp-kill${step}`);
    const killed = await killAtStep(ns, step);
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    const stopped = await journal(ns);
    expect(stopped).toMatchObject({ status: "running", currentStep: step });
    expect(stopped.completedSteps).not.toContain(step);

    const r = await cli(migrateArgs(ns));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("resuming");
    expect(await journal(ns)).toMatchObject({ status: "done", currentStep: 6 });
    const pods = await appPods(ns);
    expect(pods.length).toBeGreaterThan(0);
    for (const p of pods) {
      expect(p.metadata.annotations?.[A.redirection], p.metadata.name).toBe("enabled");
      expect(sidecarFacts(p.spec, p.metadata.annotations ?? {}).hasSidecar, p.metadata.name).toBe(false);
    }
  });
});

describe.concurrent("rollback after step k restores what was there before", () => {
  it.for([1, 2, 3, 4, 5])("after step %i", async (step) => {
    const ns = await detailsNamespace(`stp-rb${step}`);
    const before = await settledSnapshot(ns);
    expect(before.pods.every((p) => /istio-proxy/.test(p))).toBe(true);

    // Stopped right after step k is recorded done: when step k+1 is announced.
    const killed = await killAtStep(ns, step + 1);
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    const stopped = await journal(ns);
    expect(Math.max(0, ...stopped.completedSteps)).toBe(step);

    const r = await cli(["rollback", ns, "--yes", "--timeout", "2m"]);
    expect(r.code, r.stderr).toBe(0);
    expect((await journal(ns)).status).toBe("rolled-back");
    const after = await settledSnapshot(ns);
    expect(after.labels).toEqual(before.labels);
    expect(after.pods).toEqual(before.pods);
    expect(after.objects).toEqual(before.objects);
  });
});
