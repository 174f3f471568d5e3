// Cluster faults on the fake cluster: istiod unreachable (before a run, during a gate, during a
// rollback), concurrent edits while a gate waits (labels, the waypoint, the journal, the lock).
// Each asserts the exit code and the message, and that nothing was overwritten or made twice.
import { describe, expect, it } from "vitest";
import type { PortForwardResult } from "../../../src/cluster/port.js";
import { ExitCode } from "../../../src/errors.js";
import type { KubeObject } from "../../../src/inventory/model.js";
import { migrateNamespace } from "../../../src/run/execute.js";
import { JOURNAL_NAME, type Journal, readJournal } from "../../../src/run/journal.js";
import { lockRef } from "../../../src/run/lock.js";
import { rollbackNamespace } from "../../../src/run/rollback.js";
import { failure, migrate, options, planFor, rollbackOptions } from "./helpers.js";
import { INJECTOR_DOWN, NS, SimCluster } from "./sim.js";

const REV = { "istio.io/rev": "1-27" };
const nsRef = { apiVersion: "v1", kind: "Namespace", name: NS };

/** A cluster where `edit` happens once, while step 2's ztunnel gate is being observed. */
class EditedDuringStep2 extends SimCluster {
  private done = false;
  constructor(private readonly edit: (sim: SimCluster) => Promise<void>) {
    super(REV);
  }
  override async portForwardGet(pod: { namespace: string; name: string }): Promise<PortForwardResult> {
    if (!this.done && this.nsLabels()["istio.io/dataplane-mode"] === "ambient") {
      this.done = true;
      await this.edit(this);
    }
    return super.portForwardGet(pod);
  }
}

/** Someone else writing, as kubectl records it in managedFields. */
function byKubectl(object: KubeObject, manager: string, fields: Record<string, unknown>): KubeObject {
  const entry = { manager, operation: "Update", time: "2026-12-01T08:00:00Z", fieldsV1: fields };
  return {
    ...object,
    metadata: {
      ...object.metadata,
      managedFields: [...((object.metadata.managedFields ?? []) as unknown[]), entry],
    },
  };
}

describe("istiod unreachable", { timeout: 30_000 }, () => {
  it("migrate refuses to start (exit 8, naming istiod and the webhook's error); nothing changed", async () => {
    const sim = new SimCluster(REV);
    sim.istiodDown = true;
    const err = await failure(migrate(sim));
    expect(err.exitCode).toBe(ExitCode.prerequisiteMissing);
    expect(err.message).toBe(
      `istiod unreachable: its injection webhook fails: ${INJECTOR_DOWN}; nothing was changed`,
    );
    expect(sim.calls.filter((c) => c.verb === "patch" && !c.dryRun)).toEqual([]);
    expect(await readJournal(sim, NS)).toBeUndefined();
  });

  it("a gate that needs istiod waits 'istiod unreachable' and fails at --timeout naming it (exit 9)", async () => {
    const sim = new EditedDuringStep2(async (s) => {
      s.istiodDown = true;
      s.ztunnelBroken = true;
    });
    const lines: string[] = [];
    const err = await failure(
      migrate(sim, { timeoutMs: 2_000, progress: (l: string) => lines.push(l), faultProbeIntervalMs: 20 }),
    );
    expect(err.exitCode).toBe(ExitCode.verificationFailed);
    expect(lines).toContain(`  waiting: istiod unreachable: its injection webhook fails: ${INJECTOR_DOWN}`);
    expect(err.message).toMatch(
      /step 2 .* did not pass within 2s; last seen: .*; istiod unreachable: its injection webhook fails/,
    );
  });

  it("rollback checks the injector before restarting: stops there with the rest restored (exit 9), finishes once it works", async () => {
    const sim = new SimCluster(REV);
    await migrate(sim);
    const rollouts = new Map(sim.effects.rollouts);
    sim.istiodDown = true;
    const err = await failure(rollbackNamespace(sim, NS, rollbackOptions()));
    expect(err.exitCode).toBe(ExitCode.verificationFailed);
    expect(err.message).toBe(
      `rollback of ${NS} stopped before restarting workloads: injection would fail: webhook "namespace.sidecar-injector.istio.io": ${INJECTOR_DOWN}; everything else is restored, nothing was restarted`,
    );
    expect(sim.nsLabels()).toEqual(REV);
    expect(sim.effects.rollouts).toEqual(rollouts);
    expect((await readJournal(sim, NS))?.rollbackPending).toBe(true);
    sim.istiodDown = false;
    // migrate may not go on from a half rollback.
    expect((await failure(migrate(sim))).message).toMatch(
      /a rollback did not finish \(rollback stopped before restarting workloads: /,
    );

    await rollbackNamespace(sim, NS, rollbackOptions());
    expect([...sim.effects.rollouts.values()]).toEqual([...rollouts.values()].map((n) => n + 1));
    expect(
      sim.pods().every((p) => p.spec.containers.some((c: { name: string }) => c.name === "istio-proxy")),
    ).toBe(true);
    expect(await readJournal(sim, NS)).toMatchObject({ status: "rolled-back", changes: [] });
  });
});

describe("concurrent edits during the run", { timeout: 30_000 }, () => {
  it("a namespace label the run set, changed by someone else: exit 10 naming the manager, not overwritten", async () => {
    const sim = new EditedDuringStep2(async (s) => {
      const ns = (await s.get(nsRef)) as KubeObject;
      ns.metadata.labels = { ...ns.metadata.labels, "istio.io/use-waypoint": "none" };
      s.put(
        byKubectl(ns, "kubectl-label", { "f:metadata": { "f:labels": { "f:istio.io/use-waypoint": {} } } }),
      );
    });
    const err = await failure(migrate(sim));
    expect(err.exitCode).toBe(ExitCode.conflict);
    expect(err.message).toMatch(
      /^Namespace\/shop: istio.io\/use-waypoint was set to waypoint by this run \(change 1\.\d\) and is now none, changed by "kubectl-label" \(Update at 2026-12-01T08:00:00Z\); stopped rather than overwrite it$/,
    );
    expect(sim.nsLabels()["istio.io/use-waypoint"]).toBe("none");
    expect(sim.nsLabels()["istio.io/rev"]).toBe("1-27"); // step 3 never ran
    expect((await readJournal(sim, NS))?.status).toBe("failed");
  });

  it("the waypoint deleted: exit 10; the next run applies it again and completes", async () => {
    const sim = new EditedDuringStep2(async (s) => {
      await s.delete({
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        namespace: NS,
        name: "waypoint",
      });
    });
    const err = await failure(migrate(sim));
    expect(err.exitCode).toBe(ExitCode.conflict);
    expect(err.message).toMatch(
      /^Gateway\/shop\/waypoint, applied by this run \(change 1\.\d\), was deleted during the run; stopped$/,
    );
    const lines: string[] = [];
    expect(await migrate(sim, { progress: (l) => lines.push(l) })).toBe("migrated");
    expect(
      lines.some((l) =>
        /Gateway\/shop\/waypoint \(change 1\.\d\) was deleted since: applying it again/.test(l),
      ),
    ).toBe(true);
    expect(sim.all().some((o) => o.kind === "Gateway" && o.metadata.name === "waypoint")).toBe(true);
    expect(sim.effects.rollouts).toEqual(
      new Map([
        ["db", 1],
        ["web", 1],
      ]),
    );
  });

  it("an applied object edited by another manager: exit 10 naming it; the next run keeps the edit", async () => {
    let edited: KubeObject | undefined;
    const sim = new EditedDuringStep2(async (s) => {
      const policy = s
        .all()
        .find((o) => o.kind === "AuthorizationPolicy" && o.spec?.targetRefs) as KubeObject;
      policy.spec.action = "ALLOW";
      policy.spec.rules = [{ to: [{ operation: { methods: ["GET", "HEAD"] } }] }];
      edited = s.put(byKubectl(policy, "kubectl-edit", { "f:spec": { "f:rules": {} } }));
    });
    const err = await failure(migrate(sim));
    expect(err.exitCode).toBe(ExitCode.conflict);
    expect(err.message).toMatch(
      /^AuthorizationPolicy\/shop\/\S+, applied by this run \(change 1\.\d\), was changed during the run by "kubectl-edit" \(Update at 2026-12-01T08:00:00Z\); stopped rather than overwrite it$/,
    );
    expect(await migrate(sim)).toBe("migrated");
    const after = sim.all().find((o) => o.metadata.name === edited?.metadata.name);
    expect(after?.spec.rules).toEqual(edited?.spec.rules);
  });

  it("the journal deleted: exit 10 without writing it back; the next run rebuilds it from --backup-dir", async () => {
    const sim = new EditedDuringStep2(async (s) => {
      await s.delete({ apiVersion: "v1", kind: "ConfigMap", namespace: NS, name: JOURNAL_NAME });
    });
    const opts = options();
    const err = await failure(migrateNamespace(sim, await planFor(sim), opts));
    expect(err.exitCode).toBe(ExitCode.conflict);
    expect(err.message).toBe(
      `the journal of ${NS} (ConfigMap ${JOURNAL_NAME}) was deleted during the run; stopped before the next change`,
    );
    expect(await readJournal(sim, NS)).toBeUndefined();

    const lines: string[] = [];
    const again = options({ backupDir: opts.backupDir, progress: (l) => lines.push(l) });
    expect(await migrateNamespace(sim, await planFor(sim), again)).toBe("migrated");
    expect(
      lines.some((l) => l.startsWith(`${NS}: rebuilt the journal of ${NS} from ${opts.backupDir}`)),
    ).toBe(true);
    expect((await readJournal(sim, NS))?.status).toBe("done");
    expect(sim.effects.labels.get("Namespace/shop istio.io/dataplane-mode")).toBe(1);
  });

  it("the journal deleted and no copy: the next run refuses with what it found (exit 10)", async () => {
    const sim = new EditedDuringStep2(async (s) => {
      await s.delete({ apiVersion: "v1", kind: "ConfigMap", namespace: NS, name: JOURNAL_NAME });
    });
    await failure(migrate(sim));
    const err = await failure(migrate(sim)); // another --backup-dir: no copy there
    expect(err.exitCode).toBe(ExitCode.conflict);
    expect(err.message).toMatch(/shows a migration by ambient-migrate under way but has no journal/);
    expect(err.details.join("\n")).toMatch(/found: AuthorizationPolicy\/\S+ created by ambient-migrate/);
  });

  it("the lock taken by another run: exit 10 before the next change, and the journal is left to that run", async () => {
    const sim = new EditedDuringStep2(async (s) => {
      const lease = (await s.get(lockRef(NS))) as KubeObject;
      s.put({
        ...lease,
        spec: { ...lease.spec, holderIdentity: "other-host-7-abc123", renewTime: new Date().toISOString() },
      });
    });
    const err = await failure(migrate(sim));
    expect(err.exitCode).toBe(ExitCode.conflict);
    expect(err.message).toMatch(
      /^the migration lock of shop \(Lease ambient-migrate-lock\) was taken by another run, other-host-7-abc123/,
    );
    expect(((await readJournal(sim, NS)) as Journal).status).toBe("running");
    expect(sim.nsLabels()["istio.io/rev"]).toBe("1-27");
  });

  it("the lock taken and the journal written by the run that took it: the lost lock is named, not a stranger's journal edit", async () => {
    const sim = new EditedDuringStep2(async (s) => {
      const lease = (await s.get(lockRef(NS))) as KubeObject;
      s.put({
        ...lease,
        spec: { ...lease.spec, holderIdentity: "other-host-7-abc123", renewTime: new Date().toISOString() },
      });
      // The other run resumed: its first act is a journal write.
      const journal = (await s.get({
        apiVersion: "v1",
        kind: "ConfigMap",
        namespace: NS,
        name: JOURNAL_NAME,
      })) as KubeObject;
      s.put({ ...journal, metadata: { ...journal.metadata, annotations: { resumed: "yes" } } });
    });
    const err = await failure(migrate(sim));
    expect(err.exitCode).toBe(ExitCode.conflict);
    expect(err.message).toMatch(
      /^the migration lock of shop \(Lease ambient-migrate-lock\) was taken by another run, other-host-7-abc123/,
    );
  });

  it("the lock taken while a gate waits, found by the renewal: exit 10 naming the other run, not an interruption", async () => {
    const sim = new EditedDuringStep2(async (s) => {
      const lease = (await s.get(lockRef(NS))) as KubeObject;
      s.put({
        ...lease,
        spec: { ...lease.spec, holderIdentity: "other-host-7-abc123", renewTime: new Date().toISOString() },
      });
      s.ztunnelBroken = true; // the gate keeps waiting: the renewal finds the loss first
    });
    const err = await failure(migrate(sim, { timeoutMs: 5_000, lockRenewIntervalMs: 50 }));
    expect(err.exitCode).toBe(ExitCode.conflict);
    expect(err.message).toMatch(
      /^the migration lock of shop \(Lease ambient-migrate-lock\) was taken by another run/,
    );
    expect(((await readJournal(sim, NS)) as Journal).status).toBe("running");
  });
});
