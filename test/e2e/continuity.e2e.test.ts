// observability --verify on the testbed: the real Prometheus scraping the traffic stand-in, which
// switches a namespace's series from sidecar reporters to the waypoint and ztunnel as migrate
// changes its pods. A migrated namespace has every expected series; an app metrics port nothing
// scrapes is a missing row (exit 9); once the stand-in stops reporting for the namespace, every
// row says missing; a namespace still on sidecars expects nothing, which is not a pass either.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { detailsNamespace } from "./details-sample.js";
import { cli, deleteNamespaces, kubectl } from "./harness.js";

const prometheus = inject("prometheusUrl");
const traffic = inject("trafficUrl");
const available = prometheus !== "" && traffic !== "";

async function fault(method: "POST" | "DELETE", params: Record<string, string>): Promise<void> {
  const r = await fetch(`${traffic}/faults?${new URLSearchParams(params)}`, { method });
  if (!r.ok) throw new Error(`faults: HTTP ${r.status} ${await r.text()}`);
}

interface Row {
  namespace: string;
  kind: string;
  subject: string;
  state: string;
  series: number;
  query: string;
}

async function verify(ns: string): Promise<{ code: number; stderr: string; rows: Row[]; passed: boolean }> {
  const r = await cli(["observability", "--verify", "-n", ns, "--prometheus", prometheus, "-o", "json"]);
  const doc = JSON.parse(r.stdout) as { passed: boolean; rows: Row[] };
  return { code: r.code, stderr: r.stderr, rows: doc.rows, passed: doc.passed };
}

/** Retries `check` until it holds (Prometheus scrapes every second; series go stale within a few). */
async function eventually<T>(what: string, get: () => Promise<T>, ok: (t: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await get();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe.skipIf(!available)("observability --verify on the testbed's Prometheus", () => {
  const namespaces: string[] = [];
  afterAll(async () => {
    for (const ns of namespaces) await fault("DELETE", { namespace: ns }).catch(() => undefined);
    await deleteNamespaces();
  });

  it("a namespace still on sidecars: nothing expected, exit 9", async () => {
    const ns = await detailsNamespace("cont-side");
    const r = await cli(["observability", "--verify", "-n", ns, "--prometheus", prometheus]);
    expect(r.code, r.stderr).toBe(9);
    expect(r.stderr).toContain(`${ns}: nothing to expect`);
    expect(r.stderr).toContain("Deployment/details-v1: not in ambient mode");
  });

  it("migrated: the waypoint's L7 and ztunnel's TCP series are present (exit 0); an unscraped app metrics port, or the stand-in's series gone: missing (exit 9)", async () => {
    const ns = await detailsNamespace("cont");
    namespaces.push(ns);
    const backups = mkdtempSync(join(tmpdir(), "continuity-backup-"));
    const migrate = await cli(["migrate", ns, "--yes", "--timeout", "120s", "--backup-dir", backups]);
    expect(migrate.code, migrate.stderr).toBe(0);

    // The stand-in follows the new pods within a tick; Prometheus scrapes every second.
    const ok = await eventually(
      "every expected series present",
      () => verify(ns),
      (v) => v.code === 0,
    );
    expect(ok.passed).toBe(true);
    // details-v1: the subset Service step 1 created for the DestinationRule's subset.
    expect(ok.rows.map((r) => `${r.kind} ${r.subject} ${r.state}`)).toEqual([
      "waypoint-l7 Service/details present",
      "waypoint-l7 Service/details-v1 present",
      "ztunnel-tcp Deployment/details-v1 present",
    ]);
    expect(ok.rows[0]?.query).toBe(
      `count(istio_requests_total{reporter="waypoint",destination_service_namespace="${ns}",destination_service_name="details"})`,
    );
    expect(ok.stderr).toContain("all 3 expected series present");

    const table = await cli(["observability", "--verify", "-n", ns, "--prometheus", prometheus]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^NAMESPACE\s+EXPECTS\s+SUBJECT\s+STATE\s+SERIES\s+QUERY/);
    expect(table.stdout).toMatch(
      new RegExp(`${ns}\\s+waypoint-l7\\s+Service/details\\s+present\\s+1\\s+count\\(`),
    );

    // An app with its own metrics port: a row of its own, missing here (the testbed's pods run
    // no container, nothing serves or scrapes their metrics), so the whole check fails.
    const annotations = { "prometheus.io/scrape": "true", "prometheus.io/port": "9080" };
    await kubectl([
      "-n",
      ns,
      "patch",
      "deployment",
      "details-v1",
      "--type",
      "merge",
      "-p",
      JSON.stringify({ spec: { template: { metadata: { annotations } } } }),
    ]);
    await kubectl(["-n", ns, "rollout", "status", "deployment/details-v1", "--timeout=120s"]);
    const mixed = await eventually(
      "the app's row missing, the others present",
      () => verify(ns),
      (v) =>
        v.rows.some((r) => r.kind === "app-metrics") &&
        v.rows.filter((r) => r.kind !== "app-metrics").every((r) => r.state === "present"),
    );
    expect(mixed.code).toBe(9);
    expect(mixed.passed).toBe(false);
    const app = mixed.rows.find((r) => r.kind === "app-metrics");
    expect(app).toMatchObject({ subject: "Deployment/details-v1", state: "missing", series: 0 });
    expect(app?.query).toMatch(new RegExp(`^count\\(\\{namespace="${ns}",pod=~"details-v1-[^"]+"`));
    expect(mixed.stderr).toContain(`1 of 4 expected series missing: ${ns} app-metrics Deployment/details-v1`);

    // The stand-in stops reporting for the namespace: its series go stale, the check says so.
    await fault("POST", { namespace: ns, traffic: "off" });
    const gone = await eventually(
      "every expected series missing",
      () => verify(ns),
      (v) => v.rows.every((r) => r.state === "missing"),
    );
    expect(gone.code).toBe(9);
    expect(gone.passed).toBe(false);
    expect(gone.stderr).toMatch(
      /4 of 4 expected series missing: .* waypoint-l7 Service\/details, .* ztunnel-tcp Deployment\/details-v1/,
    );

    await fault("DELETE", { namespace: ns });
    const back = await eventually(
      "the stand-in's series back",
      () => verify(ns),
      (v) => v.rows.filter((r) => r.kind !== "app-metrics").every((r) => r.state === "present"),
    );
    expect(back.code).toBe(9); // the app's own metrics are still missing
  });

  it("Prometheus unreachable: exit 11, not a verdict", async () => {
    const r = await cli(["observability", "--verify", "-A", "--prometheus", "http://127.0.0.1:1"]);
    expect(r.code, r.stderr).toBe(11);
    expect(r.stderr).toMatch(/could not be reached/);
  });
});
