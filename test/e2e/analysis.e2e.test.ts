// The SLO gate on the testbed: a real Prometheus (Debian's) scraping the traffic stand-in, which
// emits Istio's series for the testbed's pods and switches them from sidecar reporters to the
// waypoint and ztunnel as migrate changes the pods. Healthy traffic passes every analysis; an
// error spike injected after step 4 fails the gate (rollback: back on sidecars, exit 9; pause:
// stops at step 4, a later migrate resumes once the spike clears); no data is inconclusive.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { detailsNamespace } from "./details-sample.js";
import {
  apply,
  bookinfoApp,
  cli,
  createNamespace,
  deleteNamespaces,
  kubectl,
  kubectlJson,
} from "./harness.js";

const prometheus = inject("prometheusUrl");
const traffic = inject("trafficUrl");
const available = prometheus !== "" && traffic !== "";
const backups = mkdtempSync(join(tmpdir(), "analysis-backup-"));

function analysisFile(name: string, extra: Record<string, unknown> = {}): string {
  const file = join(tmpdir(), `analysis-${name}-${process.pid}.yaml`);
  writeFileSync(
    file,
    stringify({
      apiVersion: "ambient-migrate.io/v1alpha1",
      kind: "Analysis",
      prometheus: { address: prometheus },
      // Scraped every second: a 10s window and a few seconds between measurements suffice.
      measurement: { interval: "2s", count: 2, initialDelay: "4s" },
      defaultSlo: { rateWindow: "10s" },
      ...extra,
    }),
  );
  return file;
}

async function fault(method: "POST" | "DELETE", params: Record<string, string>): Promise<void> {
  const r = await fetch(`${traffic}/faults?${new URLSearchParams(params)}`, { method });
  if (!r.ok) throw new Error(`faults: HTTP ${r.status} ${await r.text()}`);
}

async function query(expr: string): Promise<number | undefined> {
  const r = await fetch(`${prometheus}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await r.json()) as { data: { result: { value: [number, string] }[] } };
  const v = body.data.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

/** Until Prometheus has seen the namespace's sidecar traffic for a full window. */
async function waitForTraffic(ns: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const n = await query(
      `count_over_time(sum(istio_requests_total{reporter="destination",destination_service_namespace="${ns}"})[10s:1s])`,
    );
    if (n !== undefined && n >= 10) return;
    if (Date.now() > deadline) throw new Error(`no traffic from ${ns} in Prometheus`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function journalOf(ns: string) {
  const cm = await kubectlJson<{ data: { "journal.json": string } }>([
    "-n",
    ns,
    "get",
    "configmap",
    "ambient-migrate-journal",
    "-o",
    "json",
  ]);
  return JSON.parse(cm.data["journal.json"]);
}

/** Runs `fn` once the namespace's journal reaches `step` (polled while migrate runs). */
function atStep(
  ns: string,
  step: number,
  fn: () => Promise<void>,
): { stop: () => void; done: Promise<void> } {
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const r = await kubectl(
        [
          "-n",
          ns,
          "get",
          "configmap",
          "ambient-migrate-journal",
          "-o",
          "jsonpath={.metadata.annotations.ambient-migrate\\.io/step}",
        ],
        { allowFail: true },
      );
      if (r.code === 0 && Number(r.stdout) >= step) return fn();
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  return { stop: () => (stopped = true), done };
}

async function sidecarPods(ns: string): Promise<number> {
  const pods = await kubectlJson<{
    items: { spec: { containers: { name: string }[]; initContainers?: { name: string }[] } }[];
  }>(["-n", ns, "get", "pods", "-o", "json"]);
  return pods.items.filter((p) =>
    [...p.spec.containers, ...(p.spec.initContainers ?? [])].some((c) => c.name === "istio-proxy"),
  ).length;
}

/** migrate with the run's backup in a temporary directory, not the repository's working tree. */
function migrate(ns: string, ...args: string[]) {
  return cli(["migrate", ns, ...args, "--yes", "--timeout", "120s", "--backup-dir", backups]);
}

describe.skipIf(!available)("migrate with an SLO analysis on Prometheus", () => {
  // Faults are cleared per namespace: the stand-in is shared with other test files and runs.
  const faulted: string[] = [];
  const spikeAt = (ns: string, step: number) => {
    faulted.push(ns);
    return atStep(ns, step, () => fault("POST", { namespace: ns, errorRate: "0.6" }));
  };
  afterAll(async () => {
    for (const ns of faulted) await fault("DELETE", { namespace: ns }).catch(() => undefined);
    await deleteNamespaces();
  });

  it("healthy traffic: every analysis passes, through the reporter change to the waypoint", async () => {
    const ns = await detailsNamespace("slo-ok");
    await waitForTraffic(ns);
    const r = await migrate(ns, "--analysis", analysisFile("ok"));
    expect(r.stderr).toContain("analysis baseline p99-latency/details");
    expect(r.code, r.stderr).toBe(0);
    const journal = await journalOf(ns);
    expect(journal.status).toBe("done");
    expect(
      journal.analysis.results.map((x: { step: number; phase: string }) => `${x.step}:${x.phase}`),
    ).toEqual(["1:success", "2:success", "4:success", "5:success"]);
    // After the migration, the Service's L7 series come from the waypoint.
    expect(
      await query(`sum(istio_requests_total{reporter="waypoint",destination_service_namespace="${ns}"})`),
    ).toBeGreaterThan(0);
  });

  it("an error spike after step 4 with onFailure rollback: back on sidecars, the journal says why, exit 9", async () => {
    // No L7 policy: no waypoint, so after step 4 only ztunnel's TCP series judge the Service.
    const ns = await createNamespace("slo-rb", { "istio-injection": "enabled" });
    await apply(bookinfoApp("details"), ns);
    await kubectl(["-n", ns, "rollout", "status", "deployment/details-v1", "--timeout=120s"]);
    await waitForTraffic(ns);
    const spike = spikeAt(ns, 4);
    const r = await migrate(ns, "--analysis", analysisFile("rb", { onFailure: "rollback" }));
    spike.stop();
    expect(r.code, r.stderr).toBe(9);
    expect(r.stderr).toMatch(/failed at step 4: analysis tcp-failures\/details \S+ vs result <= 0.05/);
    expect(r.stderr).toContain("rolled back automatically to the state before the migration");
    const journal = await journalOf(ns);
    expect(journal.status).toBe("rolled-back");
    expect(journal.failure).toMatch(
      /^failed at step 4: analysis tcp-failures\/details \S+ vs result <= 0.05; rolled back automatically/,
    );
    expect(journal.analysis.results.at(-1).step).toBe(0);
    expect(await sidecarPods(ns)).toBeGreaterThan(0);
    const labels = (
      await kubectlJson<{ metadata: { labels: Record<string, string> } }>([
        "get",
        "namespace",
        ns,
        "-o",
        "json",
      ])
    ).metadata.labels;
    expect(labels["istio-injection"]).toBe("enabled");
    expect(labels["istio.io/dataplane-mode"]).toBeUndefined();
    await fault("DELETE", { namespace: ns });
  });

  it("an error spike after step 4 with onFailure pause: stops at step 4; a later migrate resumes after the spike clears", async () => {
    const ns = await detailsNamespace("slo-pause");
    await waitForTraffic(ns);
    const file = analysisFile("pause");
    const spike = spikeAt(ns, 4);
    const first = await migrate(ns, "--analysis", file);
    spike.stop();
    expect(first.code, first.stderr).toBe(9);
    expect(first.stderr).toMatch(/failed at step 4: analysis success-rate\/details \S+ vs result >= 0.95/);
    let journal = await journalOf(ns);
    expect(journal.status).toBe("failed");
    expect(journal.currentStep).toBe(4);
    expect(journal.failure).toMatch(/^failed at step 4: analysis success-rate\/details/);

    await fault("DELETE", { namespace: ns });
    await new Promise((r) => setTimeout(r, 11_000)); // the spike leaves the 10s window
    const second = await migrate(ns, "--analysis", file);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain("resuming");
    journal = await journalOf(ns);
    expect(journal.status).toBe("done");
    expect(
      journal.analysis.results.map((x: { step: number; phase: string }) => `${x.step}:${x.phase}`),
    ).toEqual(["1:success", "2:success", "4:failure", "4:success", "5:success"]);
  });

  it("no data: the gate is inconclusive, not passed, and the run stops (exit 9)", async () => {
    const ns = await detailsNamespace("slo-nodata");
    const file = analysisFile("nodata", {
      defaultSlo: undefined,
      metrics: [
        {
          name: "orders-success",
          // A Service nobody calls: Prometheus answers with no series.
          query: `sum(rate(istio_requests_total{destination_service_namespace="{{namespace}}",destination_service_name="orders"}[10s]))`,
          successCondition: "result > 0",
        },
      ],
    });
    const r = await migrate(ns, "--analysis", file);
    expect(r.code, r.stderr).toBe(9);
    expect(r.stderr).toMatch(/inconclusive at step 1: analysis orders-success .*no data/);
    const journal = await journalOf(ns);
    expect(journal.status).toBe("failed");
    expect(journal.completedSteps).toEqual([]);
    expect(journal.analysis.results[0].phase).toBe("inconclusive");
  });
});
