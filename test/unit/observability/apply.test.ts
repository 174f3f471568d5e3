import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { readBackup } from "../../../src/backup/backup.js";
import { stripServerFields } from "../../../src/backup/strip.js";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import { ExitCode } from "../../../src/errors.js";
import { readCluster } from "../../../src/inventory/from-cluster.js";
import type { ObjectRef } from "../../../src/inventory/identity.js";
import type { KubeObject } from "../../../src/inventory/model.js";
import {
  type ApplyDryRun,
  type ApplyEvent,
  applyObservabilityChanges,
  kubectlEquivalent,
  observabilityApplyPlan,
} from "../../../src/observability/apply.js";
import { eventLine } from "../../../src/run/events.js";
import { app, dashboard, dashboards, namespace } from "./apply-fixtures.js";

const rules: KubeObject = {
  apiVersion: "monitoring.coreos.com/v1",
  kind: "PrometheusRule",
  metadata: { name: "alerts", namespace: "shop" },
  spec: {
    groups: [
      {
        name: "g",
        rules: [
          { alert: "Errors", expr: 'sum(rate(istio_requests_total{reporter="source"}[5m])) > 1' },
          { alert: "Tcp", expr: 'sum(rate(istio_tcp_connections_opened_total{reporter="source"}[5m])) > 1' },
        ],
      },
    ],
  },
};

const existingMonitor: KubeObject = {
  apiVersion: "monitoring.coreos.com/v1",
  kind: "PodMonitor",
  metadata: { name: "envoy", namespace: "shop", labels: { release: "istio" } },
  spec: { selector: { matchLabels: { app: "x" } }, podMetricsEndpoints: [{ path: "/stats/prometheus" }] },
};

function cluster(): FakeClusterPort {
  return new FakeClusterPort([
    namespace("shop"),
    namespace("other"),
    namespace("istio-system"),
    dashboards("shop"),
    dashboards("other"),
    rules,
    existingMonitor,
    app,
  ]);
}

async function plan(port: FakeClusterPort, namespaces = ["shop"]) {
  return observabilityApplyPlan(await readCluster(port), namespaces, "during");
}

const run = (
  port: FakeClusterPort,
  changes: Awaited<ReturnType<typeof plan>>["changes"],
  dryRun: ApplyDryRun,
) => {
  const dir = mkdtempSync(join(tmpdir(), "am-obs-apply-"));
  const out: string[] = [];
  const events: ApplyEvent[] = [];
  const backupPath = join(dir, "backup.yaml");
  const header = {
    cluster: port.server,
    context: port.context,
    time: "t",
    toolVersion: "0",
    namespaces: ["shop"],
  };
  return {
    backupPath,
    out,
    events,
    result: applyObservabilityChanges(port, changes, {
      dryRun,
      backupPath,
      header,
      out: (t) => out.push(t),
      progress: () => {},
      events: (e) => events.push(e),
    }),
  };
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(
  JSON.parse(readFileSync(new URL("../../../docs/events.schema.json", import.meta.url), "utf8")),
);

/** The events as `-o json` prints them, read back line by line, each valid against the published schema. */
function ndjson(events: ApplyEvent[]): (ApplyEvent & Record<string, unknown>)[] {
  return events
    .map(eventLine)
    .join("")
    .trimEnd()
    .split("\n")
    .map((line) => {
      const e = JSON.parse(line) as ApplyEvent & Record<string, unknown>;
      if (!validate(e)) throw new Error(`${line}\n${ajv.errorsText(validate.errors)}`);
      return e;
    });
}

const phases = (events: ApplyEvent[]) =>
  events.map((e) => `${e.event} ${e.phase}${e.event === "apply" ? ` ${e.object}` : ""}`);

describe("observabilityApplyPlan", () => {
  it("updates the selected namespace's rewritten ConfigMap keys and rules, and creates the missing PodMonitors", async () => {
    const port = cluster();
    const { changes } = await plan(port);
    expect(changes.map((c) => `${c.action} ${c.target.kind}/${c.target.namespace}/${c.target.name}`)).toEqual(
      [
        "update PrometheusRule/shop/alerts",
        "update ConfigMap/shop/dashboards",
        "create PodMonitor/istio-system/ztunnel",
        "create PodMonitor/istio-system/waypoints",
        "create PodMonitor/shop/web-metrics",
      ],
    );
    const [rule, cm] = changes;
    const live = await port.get({
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace: "shop",
      name: "dashboards",
    });
    // Only the changed key, under the resourceVersion that was rewritten.
    expect(cm?.body.metadata).toEqual({
      name: "dashboards",
      namespace: "shop",
      resourceVersion: live?.metadata.resourceVersion,
    });
    expect(Object.keys(cm?.body.data as object)).toEqual(["service.json"]);
    expect((cm?.body.data as Record<string, string> | undefined)?.["service.json"]).toBe(
      dashboard.replace('reporter=\\"destination\\"', 'reporter=~\\"destination|waypoint\\"'),
    );
    expect(cm?.force).toBe(true);
    expect(rule?.body.spec.groups[0].rules.map((r: { expr: string }) => r.expr)).toEqual([
      'sum(rate(istio_requests_total{reporter=~"source|waypoint"}[5m])) > 1',
      'sum(rate(istio_tcp_connections_opened_total{reporter="source"}[5m])) > 1',
    ]);
    expect(changes.filter((c) => c.target.kind === "PodMonitor").every((c) => !c.force)).toBe(true);
  });

  it("has nothing to do once applied", async () => {
    const port = cluster();
    const first = await plan(port);
    await run(port, first.changes, "none").result;
    expect((await plan(port)).changes).toEqual([]);
  });

  it("updates a generated PodMonitor that differs from the cluster's", async () => {
    const port = cluster();
    port.put({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PodMonitor",
      metadata: { name: "web-metrics", namespace: "shop", labels: { release: "istio" } },
      spec: { selector: { matchLabels: { app: "web" } }, podMetricsEndpoints: [{ port: "old" }] },
    });
    const { changes } = await plan(port);
    expect(changes.find((c) => c.target.name === "web-metrics")?.action).toBe("update");
  });
});

describe("applyObservabilityChanges", () => {
  it("writes and verifies the backup of every object it updates before its first apply", async () => {
    const port = cluster();
    const { changes } = await plan(port);
    const originals = await Promise.all(
      changes.filter((c) => c.action === "update").map((c) => port.get(c.target)),
    );
    port.calls.length = 0;
    const { backupPath, out, result } = run(port, changes, "none");
    expect((await result).backup).toBe(backupPath);
    const firstPatch = port.calls.findIndex((c) => c.verb === "patch");
    expect(port.calls.slice(0, firstPatch).map((c) => c.verb)).toEqual(["get", "get"]);
    expect(port.calls.filter((c) => c.verb === "patch")).toHaveLength(changes.length);
    const text = readFileSync(backupPath, "utf8");
    expect(readBackup(text, backupPath)).toEqual(originals.map((o) => stripServerFields(o as KubeObject)));
    expect(text).toContain(
      "# creates (not in this file; delete to undo): PodMonitor.monitoring.coreos.com istio-system/ztunnel, ",
    );
    expect(out).toEqual(changes.map((c) => kubectlEquivalent(c, "none")));
    const rule = await port.get(changes[0]?.target as ObjectRef);
    expect(rule?.spec.groups[0].rules[0].expr).toContain("waypoint");
  });

  it("--dry-run=client prints the kubectl equivalents and calls nothing", async () => {
    const port = cluster();
    const { changes } = await plan(port);
    port.calls.length = 0;
    const { backupPath, out, result } = run(port, changes, "client");
    expect((await result).applied.map((a) => a.result)).toEqual(changes.map(() => "dry run (client)"));
    expect(port.calls).toEqual([]);
    expect(existsSync(backupPath)).toBe(false);
    expect(out[0]).toMatch(
      /^kubectl apply --server-side --field-manager=ambient-migrate --force-conflicts -f - <<'EOF' {2}# update PrometheusRule\/shop\/alerts\n/,
    );
    expect(out[0]).toMatch(/\nEOF$/);
  });

  it("--dry-run=server sends every apply as a dry run and takes no backup", async () => {
    const port = cluster();
    const { changes } = await plan(port);
    const before = port.all();
    port.calls.length = 0;
    const { backupPath, out, result } = run(port, changes, "server");
    await result;
    expect(port.calls.map((c) => [c.verb, c.dryRun])).toEqual(changes.map(() => ["patch", true]));
    expect(port.all()).toEqual(before);
    expect(existsSync(backupPath)).toBe(false);
    expect(out.every((l) => l.includes(" --dry-run=server "))).toBe(true);
  });

  it("changes nothing when an object to update was deleted since it was read (exit 10)", async () => {
    const port = cluster();
    const { changes } = await plan(port);
    await port.delete({ apiVersion: "v1", kind: "ConfigMap", namespace: "shop", name: "dashboards" });
    port.calls.length = 0;
    const { backupPath, result } = run(port, changes, "none");
    await expect(result).rejects.toMatchObject({ exitCode: ExitCode.conflict });
    expect(port.calls.some((c) => c.verb === "patch")).toBe(false);
    expect(existsSync(backupPath)).toBe(false);
  });

  it("a refused apply stops the run after the backup (exit 7)", async () => {
    const port = cluster();
    const { changes } = await plan(port);
    port.refuse("patch", "podmonitors");
    const { backupPath, result } = run(port, changes, "none");
    await expect(result).rejects.toMatchObject({ exitCode: ExitCode.forbidden });
    expect(existsSync(backupPath)).toBe(true);
    expect(port.calls.filter((c) => c.verb === "patch").map((c) => c.resource)).toEqual([
      "prometheusrules",
      "configmaps",
      "podmonitors",
    ]);
  });

  it("events: the run started with what changes, the backup, each apply started and passed, the run passed last", async () => {
    const port = cluster();
    const { changes } = await plan(port);
    const { backupPath, events, result } = run(port, changes, "none");
    await result;
    const lines = ndjson(events);
    expect(phases(lines)).toEqual([
      "observability started",
      "backup started",
      "backup passed",
      ...changes.flatMap((c) =>
        ["started", "passed"].map(
          (p) => `apply ${p} ${c.target.kind}/${c.target.namespace}/${c.target.name}`,
        ),
      ),
      "observability passed",
    ]);
    expect(lines[0]).toMatchObject({ namespaces: ["istio-system", "shop"], changes: 5, dryRun: "none" });
    expect(lines[1]).toMatchObject({ path: backupPath, objects: 2 });
    const applied = lines.find((e) => e.event === "apply" && e.phase === "passed");
    expect(applied).toMatchObject({
      namespace: "shop",
      action: "update",
      object: "PrometheusRule/shop/alerts",
      result: "applied",
      command:
        "kubectl apply --server-side --field-manager=ambient-migrate --force-conflicts -f - <<'EOF'  # update PrometheusRule/shop/alerts",
      applied: changes[0]?.body,
    });
    expect(lines.at(-1)).toMatchObject({
      event: "observability",
      phase: "passed",
      applied: 5,
      backup: backupPath,
    });
    // Shapes the schema refuses: a finished run with both a count and an error, an apply without its object.
    const time = "2026-01-01T00:00:00Z";
    expect(validate({ time, event: "observability", phase: "failed", error: "x", applied: 1 })).toBe(false);
    expect(
      validate({
        time,
        event: "apply",
        phase: "started",
        namespace: "shop",
        action: "create",
        why: "",
        command: "",
      }),
    ).toBe(false);
  });

  it("events of dry runs: no backup, each apply's result says which", async () => {
    for (const dryRun of ["client", "server"] as const) {
      const port = cluster();
      const { changes } = await plan(port);
      const { events, result } = run(port, changes, dryRun);
      await result;
      const lines = ndjson(events);
      expect(lines[0]).toMatchObject({ event: "observability", phase: "started", dryRun });
      expect(lines.some((e) => e.event === "backup")).toBe(false);
      expect(lines.filter((e) => e.event === "apply" && e.phase === "passed").map((e) => e.result)).toEqual(
        changes.map(() => `dry run (${dryRun})`),
      );
      expect(lines.at(-1)).toEqual({
        time: expect.any(String),
        event: "observability",
        phase: "passed",
        applied: 5,
      });
    }
  });

  it("events of a run that fails: the apply refused or the backup impossible, then the run failed last", async () => {
    const port = cluster();
    const { changes } = await plan(port);
    port.refuse("patch", "podmonitors");
    const refused = run(port, changes, "none");
    await expect(refused.result).rejects.toMatchObject({ exitCode: ExitCode.forbidden });
    const lines = ndjson(refused.events);
    expect(phases(lines).slice(-2)).toEqual([
      "apply failed PodMonitor/istio-system/ztunnel",
      "observability failed",
    ]);
    expect(lines.at(-2)?.error).toMatch(/forbidden|refused/i);

    const gone = cluster();
    const second = await plan(gone);
    await gone.delete({ apiVersion: "v1", kind: "ConfigMap", namespace: "shop", name: "dashboards" });
    const deleted = run(gone, second.changes, "none");
    await expect(deleted.result).rejects.toMatchObject({ exitCode: ExitCode.conflict });
    const failed = ndjson(deleted.events);
    expect(phases(failed)).toEqual([
      "observability started",
      "backup started",
      "backup failed",
      "observability failed",
    ]);
    expect(failed.at(-1)?.error).toMatch(/deleted since the cluster was read/);
  });
});
