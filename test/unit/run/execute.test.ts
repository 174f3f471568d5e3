import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../../src/errors.js";
import type { KubeObject } from "../../../src/inventory/model.js";
import { backupFileFor } from "../../../src/plan/model.js";
import { migrateNamespace } from "../../../src/run/execute.js";
import { type Journal, readJournal } from "../../../src/run/journal.js";
import { LOCK_NAME } from "../../../src/run/lock.js";
import { rollbackNamespace } from "../../../src/run/rollback.js";
import { crashing, failure, journalWrite, migrate, options, planFor, rollbackOptions } from "./helpers.js";
import { l7Policy, NS, SimCluster } from "./sim.js";

const REV = { "istio.io/rev": "1-27" };

describe("migrate on a fake cluster", () => {
  it("makes the changes in the seed's order, prints their kubectl lines, and journals them", async () => {
    const sim = new SimCluster(REV);
    const opts = options();
    expect(await migrateNamespace(sim, await planFor(sim), opts)).toBe("migrated");
    const writes = sim.calls.filter(
      (c) =>
        !c.dryRun &&
        ["patch", "delete"].includes(c.verb) &&
        !["configmaps", "leases", "pods"].includes(c.resource),
    );
    expect(writes.map((c) => `${c.verb} ${c.resource}/${c.name}`)).toEqual([
      "patch authorizationpolicies/web-get-only-waypoint", // translated, applied first in step 1
      "patch gateways/waypoint",
      "patch namespaces/shop", // use-waypoint
      "patch namespaces/shop", // dataplane-mode
      "patch namespaces/shop", // istio.io/rev-
      "patch deployments/db",
      "patch deployments/web",
      "delete authorizationpolicies/web-get-only",
    ]);
    expect(opts.lines).toContain("kubectl label namespace shop istio.io/rev-");
    expect(sim.nsLabels()).toEqual({
      "istio.io/use-waypoint": "waypoint",
      "istio.io/dataplane-mode": "ambient",
    });
    expect(
      sim.pods().every((p) => p.metadata.annotations?.["ambient.istio.io/redirection"] === "enabled"),
    ).toBe(true);
    const journal = (await readJournal(sim, NS)) as Journal;
    expect(journal.status).toBe("done");
    expect(journal.completedSteps).toEqual([1, 2, 3, 4, 5, 6]);
    expect(journal.changes.find((c) => c.id === "3.1")).toMatchObject({ previous: "1-27", state: "done" });
    expect(journal.changes.find((c) => c.type === "apply")).toMatchObject({ existed: false });
    expect(journal.backupFile && existsSync(journal.backupFile)).toBe(true);
    // the lock is released
    expect(
      await sim.get({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: NS, name: LOCK_NAME }),
    ).toBeUndefined();
  });

  it("is a no-op the second time", async () => {
    const sim = new SimCluster(REV);
    await migrate(sim);
    const before = sim.calls.length;
    expect(await migrate(sim)).toBe("already-migrated");
    expect(sim.calls.slice(before).filter((c) => c.verb !== "get" && c.verb !== "list")).toEqual([]);
  });

  it("stops with exit 9 when a gate does not pass, and the journal says so; a later run resumes", async () => {
    const sim = new SimCluster(REV);
    sim.ztunnelBroken = true;
    const err = await failure(migrate(sim));
    expect(err.exitCode).toBe(ExitCode.verificationFailed);
    expect(err.message).toMatch(/step 2 .*ztunnel lists every pod.*did not pass/);
    expect(err.hint).toMatch(/ambient-migrate migrate -n shop.*ambient-migrate rollback shop/);
    const journal = (await readJournal(sim, NS)) as Journal;
    expect(journal).toMatchObject({ status: "failed", currentStep: 2, completedSteps: [1] });
    expect(sim.nsLabels()["istio.io/rev"]).toBe("1-27"); // step 3 never started
    sim.ztunnelBroken = false;
    expect(await migrate(sim)).toBe("migrated");
    expect([...sim.effects.labels.values()].every((n) => n === 1)).toBe(true);
  });

  // Crash points: right after the journal shows step k started, and right after each change.
  const crashes: [string, (verb: string, args: unknown[]) => boolean][] = [
    ...[1, 2, 3, 4, 5, 6].map((k): [string, (verb: string, args: unknown[]) => boolean] => [
      `step ${k} started`,
      (verb, args) =>
        verb === "apply" && journalWrite(args)?.currentStep === k && journalWrite(args)?.status === "running",
    ]),
    [
      "waypoint applied",
      (verb, args) => verb === "apply" && (args[0] as { kind: string }).kind === "Gateway",
    ],
    ["a label patched", (verb) => verb === "patchLabels"],
    ["a workload restarted", (verb) => verb === "restart"],
    [
      "the policy deleted",
      (verb, args) => verb === "delete" && (args[0] as { kind: string }).kind === "AuthorizationPolicy",
    ],
  ];
  for (const [name, when] of crashes) {
    it(`resumes after a crash (${name}) with no change made twice`, async () => {
      const sim = new SimCluster(REV);
      await expect(migrate(crashing(sim, when))).rejects.toThrow();
      expect(await migrate(sim)).toBe("migrated");
      expect([...sim.effects.labels.entries()]).toEqual([
        ["Namespace/shop istio.io/use-waypoint", 1],
        ["Namespace/shop istio.io/dataplane-mode", 1],
        ["Namespace/shop istio.io/rev", 1],
      ]);
      expect(Object.fromEntries(sim.effects.rollouts)).toEqual({ db: 1, web: 1 });
      expect(sim.effects.deleted).toEqual(["AuthorizationPolicy/web-get-only"]);
      expect(sim.effects.created).toEqual(["AuthorizationPolicy/web-get-only-waypoint", "Gateway/waypoint"]);
      const journal = (await readJournal(sim, NS)) as Journal;
      expect(journal.changes.find((c) => c.id === "3.1")?.previous).toBe("1-27");
    });
  }

  it("refuses with exit 10 while another run holds the namespace's lock", async () => {
    const sim = new SimCluster(REV);
    sim.put({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: LOCK_NAME, namespace: NS },
      spec: {
        holderIdentity: "other-host-4242-abcdef",
        leaseDurationSeconds: 30,
        renewTime: new Date().toISOString(),
      },
    });
    const err = await failure(migrate(sim));
    expect(err.exitCode).toBe(ExitCode.conflict);
    expect(err.message).toContain("other-host-4242-abcdef");
    expect(sim.calls.filter((c) => c.verb === "patch" || c.verb === "delete")).toEqual([]);
  });

  it("--dry-run=client calls nothing; --dry-run=server sends every write as a dry run", async () => {
    const sim = new SimCluster(REV);
    const plan = await planFor(sim);
    const before = sim.calls.length;
    const client = options({ dryRun: "client" });
    expect(await migrateNamespace(sim, plan, client)).toBe("dry-run");
    expect(sim.calls.length).toBe(before);
    expect(client.lines).toContain("kubectl label namespace shop istio.io/rev-");
    expect(await migrateNamespace(sim, plan, options({ dryRun: "server" }))).toBe("dry-run");
    const writes = sim.calls.slice(before).filter((c) => ["patch", "delete", "create"].includes(c.verb));
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((c) => c.dryRun)).toBe(true);
    expect(sim.nsLabels()).toEqual(REV);
  });

  it("stops a blocked namespace before any change", async () => {
    const sim = new SimCluster({ "istio-injection": "enabled" }, [
      {
        apiVersion: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: { name: "off", namespace: NS },
        spec: { mtls: { mode: "DISABLE" } },
      },
    ]);
    const plan = await planFor(sim);
    expect(plan.blocked).toBe(true);
    const err = await failure(migrateNamespace(sim, plan, options()));
    expect(err.exitCode).toBe(ExitCode.blockersFound);
    expect(sim.calls.filter((c) => c.verb === "patch" || c.verb === "delete")).toEqual([]);
  });
});

describe("rollback from the journal", () => {
  for (const k of [1, 2, 3, 4, 5, 6]) {
    it(`restores the recorded values after a run stopped in step ${k}`, async () => {
      const sim = new SimCluster(REV);
      const original = sim.all().filter((o) => o.kind === "AuthorizationPolicy");
      await migrate(
        crashing(
          sim,
          (verb, args) => verb === "apply" && journalWrite(args)?.completedSteps.includes(k as 1) === true,
        ),
      ).catch(() => undefined);
      const result = await rollbackNamespace(sim, NS, rollbackOptions());
      expect(result.toStep).toBe(0);
      expect(sim.nsLabels()).toEqual(REV);
      expect(sim.all().filter((o) => o.kind === "Gateway")).toEqual([]);
      expect(
        sim
          .all()
          .filter((o) => o.kind === "AuthorizationPolicy")
          .map((o) => o.spec),
      ).toEqual(original.map((o) => o.spec));
      expect(
        sim.pods().every((p) => p.spec.containers.some((c: { name: string }) => c.name === "istio-proxy")),
      ).toBe(true);
      const journal = (await readJournal(sim, NS)) as Journal;
      expect(journal.status).toBe("rolled-back");
      expect(journal.changes).toEqual([]);
      // Migrating again starts afresh and succeeds.
      expect(await migrate(sim)).toBe("migrated");
    });
  }

  it("migrating again after a rollback writes a new backup, and keeps the earlier one aside", async () => {
    const sim = new SimCluster(REV);
    const backupDir = mkdtempSync(join(tmpdir(), "am-again-"));
    expect(await migrate(sim, { backupDir })).toBe("migrated");
    await rollbackNamespace(sim, NS, rollbackOptions());
    // Edited after the rollback: the second backup must hold this version, not the first.
    const policy = sim.all().find((o) => o.kind === "AuthorizationPolicy") as KubeObject;
    sim.put({ ...policy, metadata: { ...policy.metadata, labels: { edited: "after-rollback" } } });
    const progress: string[] = [];
    expect(await migrate(sim, { backupDir, progress: (l) => progress.push(l) })).toBe("migrated");
    const backup = join(backupDir, backupFileFor(NS));
    expect(readFileSync(backup, "utf8")).toContain("after-rollback");
    const earlier = readdirSync(backupDir).filter((f) => f.includes(".earlier-"));
    expect(earlier).toHaveLength(1);
    expect(readFileSync(join(backupDir, earlier[0] as string), "utf8")).not.toContain("after-rollback");
    expect(progress.join("\n")).toContain("a file of an earlier migration is kept aside, not reused");
    expect(((await readJournal(sim, NS)) as Journal).backupFile).toBe(backup);
  });

  it("--to-step 3 after step 4 also re-adds the injection label, then restarts", async () => {
    const sim = new SimCluster(REV);
    await migrate(sim);
    const result = await rollbackNamespace(sim, NS, rollbackOptions({ toStep: 3 }));
    expect(result.toStep).toBe(2);
    expect(sim.nsLabels()).toEqual({
      ...REV,
      "istio.io/use-waypoint": "waypoint",
      "istio.io/dataplane-mode": "ambient",
    });
    // Steps 1 and 2 stay (the translated policy too); step 5's deletion is undone.
    const policies = sim.all().filter((o) => o.kind === "AuthorizationPolicy");
    expect(policies.map((o) => o.metadata.name).sort()).toEqual([
      l7Policy.metadata.name,
      `${l7Policy.metadata.name}-waypoint`,
    ]);
  });
});
