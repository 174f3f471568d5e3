// The controller on the testbed: two replicas of `ambient-migrate controller` as local processes,
// authenticated as the ServiceAccount the shipped manifests bind (deploy/controller builds on
// deploy/rbac), electing their leader on a Lease with short durations. AmbientMigrations are
// applied with kubectl; the tests watch their status, the journals, the Lease and the pods.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml, stringify } from "yaml";
import { connectCluster } from "../../src/cluster/connect.js";
import type { ClusterPort } from "../../src/cluster/port.js";
import type { MigrationStatus } from "../../src/controller/resource.js";
import { MIGRATION_KIND } from "../../src/controller/resource.js";
import { K, kindInfo } from "../../src/inventory/kinds.js";
import type { KubeObject } from "../../src/inventory/model.js";
import { sidecarFacts } from "../../src/mesh/sidecar.js";
import { readJournal } from "../../src/run/journal.js";
import { detailsNamespace } from "./details-sample.js";
import {
  deleteNamespaces,
  kubeconfigForServiceAccount,
  kubeconfigPath,
  kubectl,
  repoRoot,
} from "./harness.js";

const run = randomBytes(3).toString("hex");
const leaseName = `ambient-migrate-controller-e2e-${run}`;
const backupDir = mkdtempSync(join(tmpdir(), "am-e2e-controller-"));
let port: ClusterPort;
let saKubeconfig: string;

/** The manifests of a kustomization, its bases expanded (kustomize itself is not installed). */
function kustomizeResources(dir: string): KubeObject[] {
  const k = parseYaml(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as { resources: string[] };
  return k.resources.flatMap((r) =>
    r.endsWith(".yaml")
      ? parseAllDocuments(readFileSync(join(dir, r), "utf8")).map((d) => d.toJS() as KubeObject)
      : kustomizeResources(join(dir, r)),
  );
}

// --- the replicas ---------------------------------------------------------------------------

interface Replica {
  child: ChildProcess;
  log: string;
  exited: Promise<void>;
}

const replicas: Replica[] = [];

function startReplica(): Replica {
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, "bin/ambient-migrate.js"),
      "--kubeconfig",
      saKubeconfig,
      "controller",
      "--lease-name",
      leaseName,
      "--lease-duration",
      "4s",
      "--renew-deadline",
      "3s",
      "--retry-period",
      "1s",
      "--watch-selector",
      `e2e-run=${run}`,
      "--backup-dir",
      backupDir,
      "--timeout",
      "2m",
    ],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1" } },
  );
  const replica: Replica = {
    child,
    log: "",
    exited: new Promise((resolve) => child.on("exit", () => resolve())),
  };
  child.stderr?.on("data", (chunk: Buffer) => {
    replica.log += chunk.toString();
  });
  replicas.push(replica);
  return replica;
}

function logs(): string {
  return replicas.map((r) => `--- replica ${r.child.pid}\n${r.log.slice(-6000)}`).join("\n");
}

async function lease(): Promise<KubeObject | undefined> {
  return port.get({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    namespace: "istio-system",
    name: leaseName,
  });
}

// --- migrations and their status --------------------------------------------------------------

async function applyMigration(name: string, spec: Record<string, unknown>): Promise<void> {
  await kubectl(["apply", "-f", "-"], {
    input: stringify({
      apiVersion: "ambient-migrate.io/v1alpha1",
      kind: "AmbientMigration",
      metadata: { name, labels: { "e2e-run": run } },
      spec,
    }),
  });
}

async function patchSpec(name: string, spec: Record<string, unknown>): Promise<void> {
  await kubectl(["patch", "ambientmigration", name, "--type=merge", "-p", JSON.stringify({ spec })]);
}

async function statusOf(name: string): Promise<MigrationStatus | undefined> {
  return (await port.get({ apiVersion: "ambient-migrate.io/v1alpha1", kind: "AmbientMigration", name }))
    ?.status as MigrationStatus | undefined;
}

/** Waits (on a watch) until the migration's status satisfies `ok`. */
async function waitStatus(
  name: string,
  ok: (s: MigrationStatus) => boolean,
  timeoutMs = 120_000,
): Promise<MigrationStatus> {
  const r = await port.waitFor(
    MIGRATION_KIND,
    undefined,
    (items) => {
      const s = items[0]?.status as MigrationStatus | undefined;
      return s !== undefined && ok(s);
    },
    { timeoutMs, fieldSelector: `metadata.name=${name}` },
  );
  const status = r.objects[0]?.status as MigrationStatus | undefined;
  if (!r.satisfied || !status)
    throw new Error(`${name}: status never matched; last: ${JSON.stringify(status)}\n${logs()}`);
  return status;
}

/**
 * Every (state, step) of the namespace the migration's status went through, recorded from a watch.
 * `stopWhen` waits until this watch, too, has seen a status that `done` accepts: it is a second
 * watch, so it may deliver the last event after waitStatus's own watch has.
 */
function recordStatuses(name: string): {
  seen: string[];
  stopWhen: (done: (s: MigrationStatus) => boolean, timeoutMs?: number) => Promise<void>;
} {
  const seen: string[] = [];
  const controller = new AbortController();
  let waiter: { done: (s: MigrationStatus) => boolean; resolve: () => void } | undefined;
  let last: MigrationStatus | undefined;
  const note = (o: KubeObject) => {
    const status = o.status as MigrationStatus | undefined;
    if (status) last = status;
    const ns = status?.namespaces?.[0];
    const entry = ns ? `${ns.state} ${ns.step}` : undefined;
    if (entry && seen.at(-1) !== entry) seen.push(entry);
    if (waiter && status && waiter.done(status)) waiter.resolve();
  };
  void port.watch(
    MIGRATION_KIND,
    undefined,
    (e) => {
      if (e.type === "RELISTED") e.objects.forEach(note);
      else if (e.type !== "DELETED") note(e.object);
    },
    { signal: controller.signal, fieldSelector: `metadata.name=${name}` },
  );
  const stopWhen = async (done: (s: MigrationStatus) => boolean, timeoutMs = 30_000) => {
    try {
      if (last && done(last)) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`${name}: the recording watch never saw the final status; seen: ${seen.join(", ")}`),
            ),
          timeoutMs,
        );
        waiter = {
          done,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
    } finally {
      controller.abort();
    }
  };
  return { seen, stopWhen };
}

async function appPods(ns: string): Promise<KubeObject[]> {
  return (await port.list(kindInfo(K.Pod), ns)).items.filter(
    (p) => !p.metadata.deletionTimestamp && p.metadata.labels?.app === "details",
  );
}

async function injectionLabel(ns: string): Promise<string | undefined> {
  const o = await port.get({ apiVersion: "v1", kind: "Namespace", name: ns });
  return o?.metadata.labels?.["istio-injection"];
}

/** Step 4's rollout gate waits until the new pod has been available this long: a step that lasts. */
async function slowRollouts(ns: string, seconds: number): Promise<void> {
  await kubectl([
    "-n",
    ns,
    "patch",
    "deployment",
    "details-v1",
    "-p",
    JSON.stringify({ spec: { minReadySeconds: seconds } }),
  ]);
}

beforeAll(async () => {
  port = connectCluster({ kubeconfig: kubeconfigPath() }, () => {});
  // The shipped manifests but the Deployment (the replicas run here, as local processes).
  const docs = kustomizeResources(join(repoRoot, "deploy/controller")).filter((d) => d.kind !== "Deployment");
  await kubectl(["apply", "-f", "-"], { input: docs.map((d) => stringify(d)).join("---\n") });
  await kubectl([
    "wait",
    "--for=condition=Established",
    "crd/ambientmigrations.ambient-migrate.io",
    "--timeout=60s",
  ]);
  saKubeconfig = await kubeconfigForServiceAccount("ambient-migrate");
  startReplica();
  startReplica();
});

afterAll(async () => {
  for (const r of replicas)
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGTERM");
  await Promise.all(replicas.map((r) => r.exited));
  await kubectl(["delete", "ambientmigrations", "-l", `e2e-run=${run}`, "--ignore-not-found"], {
    allowFail: true,
  });
  await kubectl(["-n", "istio-system", "delete", "lease", leaseName, "--ignore-not-found"], {
    allowFail: true,
  });
  await deleteNamespaces();
});

describe("ambient-migrate controller (two replicas, the shipped RBAC)", () => {
  let migrated: string;

  it("kubectl apply of an AmbientMigration migrates the namespace; its status shows each step", async () => {
    const ns = await detailsNamespace("ctl-apply");
    const name = `apply-${run}`;
    const recorder = recordStatuses(name);
    await applyMigration(name, { namespaces: [ns] });
    const succeeded = (s: MigrationStatus) => s.phase === "Succeeded";
    const status = await waitStatus(name, succeeded);
    await recorder.stopWhen(succeeded);
    expect(status.observedGeneration).toBe(1);
    expect(status.namespaces[0]).toMatchObject({ namespace: ns, state: "Migrated", step: 6 });
    expect(status.namespaces[0]?.completedSteps).toEqual([1, 2, 3, 4, 5, 6]);
    expect(status.namespaces[0]?.conditions.find((c) => c.type === "Migrated")?.status).toBe("True");
    expect(status.namespaces[0]?.lastGateMessage).toMatch(/^step 6 /);
    // Each step, in order, was shown Running while the controller worked on it.
    expect(recorder.seen.filter((s) => s.startsWith("Running"))).toEqual(
      [1, 2, 3, 4, 5, 6].map((k) => `Running ${k}`),
    );
    expect(recorder.seen.at(-1)).toBe("Migrated 6");
    // The CLI's own journal, as `ambient-migrate status` reads it.
    expect(await readJournal(port, ns)).toMatchObject({ status: "done", completedSteps: [1, 2, 3, 4, 5, 6] });
    for (const p of await appPods(ns)) expect(sidecarFacts(p.spec).hasSidecar, p.metadata.name).toBe(false);
    // Only one replica leads, and the work was its.
    const holder = (await lease())?.spec?.holderIdentity as string;
    expect(replicas.filter((r) => r.log.includes(`${holder} leads`))).toHaveLength(1);
    migrated = ns;
  });

  it("killing the leader during step 4 makes the other replica take the Lease and finish", async () => {
    const ns = await detailsNamespace("ctl-kill");
    await slowRollouts(ns, 10);
    const name = `kill-${run}`;
    const before = await lease();
    const leader = before?.spec?.holderIdentity as string;
    const transitions = Number(before?.spec?.leaseTransitions ?? 0);
    await applyMigration(name, { namespaces: [ns] });
    // The journal shows step 4 in progress: the restart is under way, its rollout gate waiting.
    await port.waitFor(
      kindInfo(K.ConfigMap),
      ns,
      (items) => {
        const a =
          items.find((c) => c.metadata.name === "ambient-migrate-journal")?.metadata.annotations ?? {};
        return a["ambient-migrate.io/status"] === "running" && a["ambient-migrate.io/step"] === "4";
      },
      { timeoutMs: 120_000 },
    );
    const pid = Number(/-(\d+)-[0-9a-f]+$/.exec(leader)?.[1]);
    const victim = replicas.find((r) => r.child.pid === pid);
    expect(victim, `${leader} is none of ${replicas.map((r) => r.child.pid)}`).toBeDefined();
    victim?.child.kill("SIGKILL");
    await victim?.exited;
    const status = await waitStatus(name, (s) => s.phase === "Succeeded");
    expect(status.namespaces[0]).toMatchObject({ state: "Migrated", completedSteps: [1, 2, 3, 4, 5, 6] });
    const after = await lease();
    const successor = after?.spec?.holderIdentity as string;
    expect(successor).not.toBe(leader);
    expect(Number(after?.spec?.leaseTransitions)).toBe(transitions + 1);
    const heir = replicas.find((r) => r.child.pid === Number(/-(\d+)-[0-9a-f]+$/.exec(successor)?.[1]));
    // It went on through the journal's resume path, the dead run's namespace lock taken over.
    expect(heir?.log).toContain(`${ns}: resuming the run recorded in the journal`);
    expect(await readJournal(port, ns)).toMatchObject({ status: "done", holder: successor });
    // Two replicas again for what follows.
    startReplica();
  });

  it("targetStep: 2 stops after step 2", async () => {
    const ns = await detailsNamespace("ctl-target");
    await slowRollouts(ns, 8);
    const name = `target-${run}`;
    await applyMigration(name, { namespaces: [ns], targetStep: 2 });
    const status = await waitStatus(name, (s) => s.phase === "TargetReached");
    expect(status.namespaces[0]).toMatchObject({ state: "TargetReached", step: 2, completedSteps: [1, 2] });
    // And stays there: step 3 (removing the injection label) never starts.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await readJournal(port, ns)).toMatchObject({ status: "paused", currentStep: 2 });
    expect(await injectionLabel(ns)).toBe("enabled");
    expect((await statusOf(name))?.phase).toBe("TargetReached");

    // paused: true, set while step 4 runs, stops after it, before step 5.
    await patchSpec(name, { targetStep: null });
    await waitStatus(name, (s) => s.namespaces[0]?.state === "Running" && s.namespaces[0]?.step === 4);
    await patchSpec(name, { paused: true });
    const paused = await waitStatus(name, (s) => s.phase === "Paused");
    expect(paused.observedGeneration).toBe(3);
    expect(paused.namespaces[0]).toMatchObject({ state: "Paused", step: 4, completedSteps: [1, 2, 3, 4] });
    await new Promise((r) => setTimeout(r, 3000));
    expect(await readJournal(port, ns)).toMatchObject({ status: "paused", currentStep: 4 });
    // Step 5 deletes the VirtualService: still there.
    expect(
      await port.get({
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        namespace: ns,
        name: "details",
      }),
    ).toBeDefined();

    await patchSpec(name, { paused: false });
    const done = await waitStatus(name, (s) => s.phase === "Succeeded");
    expect(done.namespaces[0]?.completedSteps).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("spec.rollback: true restores the sidecars", async () => {
    const name = `apply-${run}`;
    expect(migrated).toBeDefined();
    await patchSpec(name, { rollback: true });
    const status = await waitStatus(name, (s) => s.phase === "RolledBack");
    expect(status.namespaces[0]).toMatchObject({ namespace: migrated, state: "RolledBack" });
    expect(await readJournal(port, migrated)).toMatchObject({ status: "rolled-back" });
    expect(await injectionLabel(migrated)).toBe("enabled");
    const pods = await appPods(migrated);
    expect(pods.length).toBeGreaterThan(0);
    for (const p of pods) expect(sidecarFacts(p.spec).hasSidecar, p.metadata.name).toBe(true);
  });

  it("deleting an AmbientMigration rolls nothing back", async () => {
    const name = `kill-${run}`;
    const ns = (await statusOf(name))?.namespaces[0]?.namespace as string;
    await kubectl(["delete", "ambientmigration", name]);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await readJournal(port, ns)).toMatchObject({ status: "done" });
    expect(await injectionLabel(ns)).toBeUndefined();
    for (const p of await appPods(ns)) expect(sidecarFacts(p.spec).hasSidecar).toBe(false);
    expect(logs()).toContain(`${name}: deleted; nothing is rolled back`);
  });
});
