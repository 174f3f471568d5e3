// Cluster faults on the testbed (issue 17): components stopped and started again with their
// state kept, and concurrent kubectl edits, in the middle of a migration or a rollback. Each
// test asserts the exit code and the message, runs the tool again with the component back,
// and ends comparing every Istio, Gateway API and core object of the namespace with the state
// before migration (after a rollback) or with that state plus exactly the plan's changes.
// They run on a testbed of their own (fault-testbed.ts: its own state and ports), never on the
// one the other e2e files share. Tests that need the same outage share it (FaultWindow: one stop
// and one start of the component for all of them, which keeps the file short). After each test
// or window the testbed is made whole: whatever is stopped starts again, and the tests wait, on
// watches, until the nodes and ztunnel are Ready.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { connectCluster } from "../../src/cluster/connect.js";
import type { ClusterPort } from "../../src/cluster/port.js";
import { K, kindInfo } from "../../src/inventory/kinds.js";
import type { KubeObject } from "../../src/inventory/model.js";
import { type Journal, readJournal } from "../../src/run/journal.js";
import { detailsNamespace } from "./details-sample.js";
import {
  type Background,
  background,
  expectAmbientState,
  expectPodsAmbient,
  expectSameState,
  FaultWindow,
  healTestbed,
  namespaceState,
  planOf,
  startComponent,
  startFaultTestbed,
  stopComponent,
  upTestbed,
} from "./fault-harness.js";
import { stopFaultTestbed } from "./fault-testbed.js";
import {
  apply,
  bookinfoApp,
  cli,
  createNamespace,
  deleteNamespaces,
  kubeconfigPath,
  kubectl,
} from "./harness.js";

const backupDir = mkdtempSync(join(tmpdir(), "am-e2e-faults-"));
const migrate = (ns: string, timeout = "2m") => [
  "migrate",
  "-n",
  ns,
  "--yes",
  "--timeout",
  timeout,
  "--backup-dir",
  backupDir,
];
const rollback = (ns: string, timeout = "2m") => [
  "rollback",
  ns,
  "--yes",
  "--timeout",
  timeout,
  "--backup-dir",
  backupDir,
];

let port: ClusterPort;

/** A test in a fault window also waits for the others to prepare and to recover. */
const WINDOW_TIMEOUT_MS = 600_000;

async function journal(ns: string): Promise<Journal> {
  const j = await readJournal(port, ns);
  if (!j) throw new Error(`${ns} has no journal`);
  return j;
}

/** ReplicaSets of details-v1: one per rollout, so a restart made twice shows as a third. */
async function replicaSets(ns: string): Promise<number> {
  return (await port.list(kindInfo(K.ReplicaSet), ns)).items.filter((r) =>
    r.metadata.name.startsWith("details-v1-"),
  ).length;
}

type Plan = Awaited<ReturnType<typeof planOf>>;

/** The translated HTTPRoute the plan applies in step 1. */
function routeOf(plan: Plan): KubeObject {
  const route = plan.steps
    .flatMap((s) => s.changes)
    .find((c) => c.type === "apply" && c.object?.kind === "HTTPRoute")?.object;
  if (!route) throw new Error("the plan applies no HTTPRoute");
  return route;
}

describe.skipIf(!inject("testbed"))("cluster faults", () => {
  let wasUp = true;
  beforeAll(async () => {
    wasUp = await startFaultTestbed();
    port = connectCluster({ kubeconfig: kubeconfigPath() }, () => {});
  });
  afterAll(async () => {
    await deleteNamespaces();
    // A testbed this file started is stopped again: no process or port left behind.
    if (!wasUp) stopFaultTestbed();
  });

  describe("testbed", () => {
    afterEach(healTestbed, 300_000);

    it("a stopped etcd starts again with the cluster's data; up restarts only what is missing", async () => {
      const ns = await createNamespace("flt-testbed");
      await kubectl(["-n", ns, "create", "configmap", "marker", "--from-literal=kept=yes"]);
      const marker = { apiVersion: "v1", kind: "ConfigMap", namespace: ns, name: "marker" };
      const uid = (await port.get(marker))?.metadata.uid;
      await stopComponent("etcd");
      const up = await upTestbed();
      expect(up).toMatch(/restarting etcd \(state kept/);
      expect(up).not.toContain("creating PKI");
      expect((await port.get(marker))?.metadata.uid).toBe(uid);
    });
  });

  describe("kube-apiserver", () => {
    afterEach(healTestbed, 300_000);

    it("crashes during a step: requests and watches retried, nothing done twice", async () => {
      const ns = await detailsNamespace("flt-api");
      const before = await namespaceState(port, ns);
      const plan = await planOf(ns);
      const run = background(migrate(ns, "3m"));
      await run.waitFor(/^step 2: /m);
      await stopComponent("kube-apiserver", true);
      // Away until the run has noticed: it retries rather than fails.
      await run.waitFor(/the apiserver did not answer .*retrying in|watch connection failed.*retrying in/);
      await startComponent("kube-apiserver");
      const r = await run.exit;
      expect(r.code, r.stderr).toBe(0);
      const j = await journal(ns);
      expect(j.status).toBe("done");
      expect(new Set(j.changes.map((c) => c.id)).size).toBe(j.changes.length);
      expect(await replicaSets(ns)).toBe(2); // the original and step 4's one restart
      expectAmbientState(await namespaceState(port, ns), before, plan);
      await expectPodsAmbient(port, ns);
    });
  });

  // One istiod outage for these four; each prepares, then istiod stops, then starts again.
  describe("istiod unreachable", () => {
    const window = new FaultWindow(
      4,
      () => stopComponent("istiod"),
      () => startComponent("istiod"),
    );
    afterAll(healTestbed, 300_000);

    it.concurrent(
      "migrate refuses to start (exit 8, naming istiod and the webhook's error); runs once istiod is back",
      async () => {
        const party = window.join();
        try {
          const ns = await detailsNamespace("flt-istiod");
          const before = await namespaceState(port, ns);
          const plan = await planOf(ns);
          await party.ready();
          await party.begin();
          const refused = await cli(migrate(ns));
          await party.end();
          expect(refused.code, refused.stderr).toBe(8);
          expect(refused.stderr).toContain("istiod unreachable");
          expect(refused.stderr).toMatch(/failed calling webhook "[^"]+"/);
          expectSameState(await namespaceState(port, ns), before);
          const r = await cli(migrate(ns));
          expect(r.code, r.stderr).toBe(0);
          expectAmbientState(await namespaceState(port, ns), before, plan);
        } finally {
          party.leave();
        }
      },
      WINDOW_TIMEOUT_MS,
    );

    it.concurrent(
      "istiod stopped during a step: gates wait 'istiod unreachable' until --timeout, exit 9; resumed once it is back",
      async () => {
        const party = window.join();
        try {
          const ns = await detailsNamespace("flt-istiod-gate");
          const before = await namespaceState(port, ns);
          const plan = await planOf(ns);
          await party.ready();
          const run = background(migrate(ns, "20s"));
          await run.waitFor(/^step 1: /m);
          await party.begin();
          const r = await run.exit;
          await party.end();
          expect(r.code, r.stderr).toBe(9);
          expect(r.stderr).toContain("waiting: istiod unreachable");
          expect(r.stderr).toMatch(/did not pass within 20s.*istiod unreachable/);
          const resumed = await cli(migrate(ns));
          expect(resumed.code, resumed.stderr).toBe(0);
          expect(resumed.stderr).toContain("resuming");
          expectAmbientState(await namespaceState(port, ns), before, plan);
        } finally {
          party.leave();
        }
      },
      WINDOW_TIMEOUT_MS,
    );

    it.concurrent(
      "rollback checks the injector first: the rest restored, exit 9 naming the webhook; completes once istiod is back",
      async () => {
        const party = window.join();
        try {
          const ns = await detailsNamespace("flt-rb-istiod");
          const before = await namespaceState(port, ns);
          const migrated = await cli(migrate(ns));
          expect(migrated.code, migrated.stderr).toBe(0);
          const rollouts = await replicaSets(ns);
          await party.ready();
          await party.begin();
          const r = await cli(rollback(ns));
          // Everything but the restarts is back; no workload was restarted into pods without sidecars.
          const partial = await namespaceState(port, ns);
          const rolloutsAfter = await replicaSets(ns);
          await party.end();
          expect(r.code, r.stderr).toBe(9);
          expect(r.stderr).toMatch(/injection would fail: webhook "[^"]+".*failed calling webhook/s);
          expect(r.stderr).toContain("connection refused");
          expect(r.stderr).toContain("nothing was restarted");
          expect(partial.objects.get(`v1 Namespace ${ns}`)).toEqual(before.objects.get(`v1 Namespace ${ns}`));
          expect(rolloutsAfter).toBe(rollouts);
          const done = await cli(rollback(ns));
          expect(done.code, done.stderr).toBe(0);
          expectSameState(await namespaceState(port, ns), before);
        } finally {
          party.leave();
        }
      },
      WINDOW_TIMEOUT_MS,
    );

    // Not an istiod fault: it only shares the window's time (it runs once istiod is back).
    it.concurrent(
      "pods not created (ResourceQuota): the rollout gate prints the controller's own message, exit 9; completes once allowed",
      async () => {
        const party = window.join();
        try {
          const ns = await createNamespace("flt-quota", { "istio-injection": "enabled" });
          await apply(bookinfoApp("details"), ns);
          await kubectl(["-n", ns, "rollout", "status", "deployment/details-v1", "--timeout=120s"]);
          await kubectl(["-n", ns, "create", "quota", "pods", "--hard=pods=1"]);
          const before = await namespaceState(port, ns);
          const plan = await planOf(ns);
          await party.ready();
          await party.begin();
          await party.end();
          const r = await cli(migrate(ns, "10s"));
          expect(r.code, r.stderr).toBe(9);
          expect(r.stderr).toMatch(
            /FailedCreate: pods "details-v1-[^"]+" is forbidden: exceeded quota: pods/,
          );
          await kubectl(["-n", ns, "delete", "quota", "pods"]);
          const resumed = await cli(migrate(ns));
          expect(resumed.code, resumed.stderr).toBe(0);
          expectAmbientState(await namespaceState(port, ns), before, plan);
        } finally {
          party.leave();
        }
      },
      WINDOW_TIMEOUT_MS,
    );
  });

  // (Plain describes with it.concurrent: sibling describe.concurrent blocks would run at once.)
  // testbed-ztunnel outages: each run waits in step 2's gate (ztunnel unreadable) while the test
  // makes its change; then ztunnel answers again. Two windows of three (five concurrent tests
  // at most, vitest's maxConcurrency).
  const ztunnelWindow = () =>
    new FaultWindow(
      3,
      () => stopComponent("testbed-ztunnel"),
      () => startComponent("testbed-ztunnel"),
    );

  /** Prepares details, starts migrate once ztunnel is down, makes `edit` while the run waits. */
  async function whileWaiting(
    window: FaultWindow,
    prefix: string,
    edit: (ns: string, run: Background, plan: Plan) => Promise<void>,
  ) {
    const party = window.join();
    try {
      const ns = await detailsNamespace(prefix);
      const before = await namespaceState(port, ns);
      const plan = await planOf(ns);
      await party.ready();
      await party.begin();
      const run = background(migrate(ns));
      await run.waitFor(/waiting: .*ztunnel pod \S+ could not be read/);
      await edit(ns, run, plan);
      await party.end();
      return { ns, before, plan, result: await run.exit };
    } finally {
      party.leave();
    }
  }

  describe("ztunnel unreachable; the namespace or the waypoint changed during the run", () => {
    const window = ztunnelWindow();
    afterAll(healTestbed, 300_000);

    it.concurrent(
      "ztunnel admin unreachable: retried, then the ztunnel pod is named (exit 9); completes once it answers",
      async () => {
        const party = window.join();
        try {
          const ns = await detailsNamespace("flt-ztunnel");
          const before = await namespaceState(port, ns);
          const plan = await planOf(ns);
          await party.ready();
          await party.begin();
          const r = await cli(migrate(ns, "15s"));
          await party.end();
          expect(r.code, r.stderr).toBe(9);
          expect(r.stderr).toMatch(
            /ztunnel pod istio-system\/ztunnel-\S+ could not be read \(\/config_dump on port 15000\)/,
          );
          const resumed = await cli(migrate(ns));
          expect(resumed.code, resumed.stderr).toBe(0);
          expectAmbientState(await namespaceState(port, ns), before, plan);
        } finally {
          party.leave();
        }
      },
      WINDOW_TIMEOUT_MS,
    );

    it.concurrent(
      "namespace label changed during the run: stopped rather than overwritten (exit 10, manager named); rollback restores all",
      async () => {
        const { ns, before, result } = await whileWaiting(window, "flt-label", async (ns) => {
          await kubectl(["label", "namespace", ns, "istio.io/use-waypoint=none", "--overwrite"]);
        });
        expect(result.code, result.stderr).toBe(10);
        expect(result.stderr).toMatch(
          /istio.io\/use-waypoint was set to waypoint by this run \(change 1\.\d+\) and is now none, changed by "kubectl-label"/,
        );
        expect(result.stderr).toContain("stopped rather than overwrite");
        const rb = await cli(rollback(ns));
        expect(rb.code, rb.stderr).toBe(0);
        expectSameState(await namespaceState(port, ns), before);
      },
      WINDOW_TIMEOUT_MS,
    );

    it.concurrent(
      "waypoint deleted during the run: exit 10; the next run applies it again and completes",
      async () => {
        const { ns, before, plan, result } = await whileWaiting(window, "flt-waypoint", async (ns) => {
          await kubectl(["-n", ns, "delete", "gateways.gateway.networking.k8s.io", "waypoint"]);
        });
        expect(result.code, result.stderr).toBe(10);
        expect(result.stderr).toMatch(
          /Gateway\/\S+\/waypoint, applied by this run \(change 1\.\d+\), was deleted during the run/,
        );
        const resumed = await cli(migrate(ns));
        expect(resumed.code, resumed.stderr).toBe(0);
        expect(resumed.stderr).toMatch(/Gateway\/\S+\/waypoint .*deleted since: applying it again/);
        expectAmbientState(await namespaceState(port, ns), before, plan);
      },
      WINDOW_TIMEOUT_MS,
    );
  });

  describe("a route, the journal or the lock changed during the run", () => {
    const window = ztunnelWindow();
    afterAll(healTestbed, 300_000);

    it.concurrent(
      "translated HTTPRoute edited during the run: exit 10 naming kubectl-patch; the next run keeps the edit and completes",
      async () => {
        let route: KubeObject | undefined;
        const { ns, before, plan, result } = await whileWaiting(
          window,
          "flt-route",
          async (ns, _run, plan) => {
            route = routeOf(plan);
            await kubectl([
              "-n",
              ns,
              "patch",
              "httproute",
              route.metadata.name,
              "--type=json",
              "-p",
              // The VirtualService's 5s, written another way: a spec edit that routes the same.
              // An edit that changes routing is stopped by step 5's route gate (routes.e2e).
              '[{"op":"replace","path":"/spec/rules/0/timeouts/request","value":"5000ms"}]',
            ]);
          },
        );
        expect(result.code, result.stderr).toBe(10);
        expect(result.stderr).toMatch(
          /HTTPRoute\/\S+, applied by this run \(change 1\.\d+\), was changed during the run by "kubectl-patch"/,
        );
        const resumed = await cli(migrate(ns));
        expect(resumed.code, resumed.stderr).toBe(0);
        expectAmbientState(await namespaceState(port, ns), before, plan, {
          [`gateway.networking.k8s.io/v1 HTTPRoute ${route?.metadata.name}`]: (o) => {
            o.spec.rules[0].timeouts.request = "5000ms";
          },
        });
      },
      WINDOW_TIMEOUT_MS,
    );

    it.concurrent(
      "journal deleted during the run: exit 10; the next run rebuilds it from the copy in --backup-dir and completes",
      async () => {
        const { ns, before, plan, result } = await whileWaiting(window, "flt-journal", async (ns) => {
          await kubectl(["-n", ns, "delete", "configmap", "ambient-migrate-journal"]);
        });
        expect(result.code, result.stderr).toBe(10);
        expect(result.stderr).toContain("was deleted during the run");
        const resumed = await cli(migrate(ns));
        expect(resumed.code, resumed.stderr).toBe(0);
        expect(resumed.stderr).toContain("rebuilt the journal");
        expect((await journal(ns)).status).toBe("done");
        expectAmbientState(await namespaceState(port, ns), before, plan);
      },
      WINDOW_TIMEOUT_MS,
    );

    it.concurrent(
      "lock lost (lease expired while paused, taken by another run): the first run stops before its next change (exit 10)",
      async () => {
        let second: Background | undefined;
        const { ns, before, plan, result } = await whileWaiting(window, "flt-lock", async (ns, first) => {
          first.child.kill("SIGSTOP");
          // Paused past its lease: as if 40 seconds went by without a renewal.
          const stale = new Date(Date.now() - 40_000).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
          await kubectl([
            "-n",
            ns,
            "patch",
            "lease",
            "ambient-migrate-lock",
            "--type=merge",
            "-p",
            JSON.stringify({ spec: { renewTime: stale } }),
          ]);
          second = background(migrate(ns));
          await second.waitFor(/resuming/); // printed once it holds the lock
          // The second run waits, paused, until the first has stopped. Otherwise it may finish and
          // release the lock before the first looks, and the first finds it deleted, not taken.
          second.child.kill("SIGSTOP");
          try {
            first.child.kill("SIGCONT");
            await first.exit;
          } finally {
            second.child.kill("SIGCONT"); // never left stopped, even when the first run hangs
          }
        });
        expect(result.code, result.stderr).toBe(10);
        expect(result.stderr).toMatch(
          /the migration lock of \S+ \(Lease ambient-migrate-lock\) was taken by another run/,
        );
        const done = await (second as Background).exit;
        expect(done.code, done.stderr).toBe(0);
        expectAmbientState(await namespaceState(port, ns), before, plan);
      },
      WINDOW_TIMEOUT_MS,
    );
  });
});
