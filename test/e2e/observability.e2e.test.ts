// `observability --apply` on the testbed, run as the shipped least-privilege ServiceAccount:
// Istio's Service dashboard in a ConfigMap, a PrometheusRule of Istio alerts and the
// prometheus-operator sample's monitors go in; the rewritten objects and the generated PodMonitors
// must be accepted by the real CRDs, the rules by the real promtool, and the backup must restore
// the originals with kubectl apply.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { readBackup } from "../../src/backup/backup.js";
import { stripServerFields } from "../../src/backup/strip.js";
import type { KubeObject } from "../../src/inventory/model.js";
import {
  apply,
  appWithMetrics,
  cli,
  createNamespace,
  deleteNamespaces,
  fixtures,
  kubeconfigForServiceAccount,
  kubectl,
  kubectlJson,
  repoRoot,
} from "./harness.js";

const DASHBOARD_KEY = "istio-service-dashboard.json";
const dashboardText = readFileSync(`${fixtures}/dashboards/${DASHBOARD_KEY}`, "utf8");
const L7_FAMILY =
  /^istio_(requests_total|request_duration_(milliseconds|seconds)_(bucket|sum|count)|(request|response)_bytes_(bucket|sum|count)|(request|response)_messages_total)$/;

const rules = (ns: string) => ({
  apiVersion: "monitoring.coreos.com/v1",
  kind: "PrometheusRule",
  metadata: { name: "istio-alerts", namespace: ns, labels: { release: "istio" } },
  spec: {
    groups: [
      {
        name: "istio.alerts",
        rules: [
          {
            alert: "IstioHigh5xxErrorRate",
            expr:
              'sum by (destination_service) (rate(istio_requests_total{reporter="destination", response_code=~"5.."}[5m]))\n' +
              '/ sum by (destination_service) (rate(istio_requests_total{reporter="destination"}[5m])) > 0.05',
            for: "5m",
            labels: { severity: "critical" },
            annotations: { summary: "High 5xx rate on {{ $labels.destination_service }}" },
          },
          {
            alert: "IstioClientErrors",
            expr: 'sum by (source_workload) (rate(istio_requests_total{reporter="source", response_code=~"4.."}[5m])) > 10',
            for: "5m",
          },
          {
            alert: "IstioTCPConnectionFailures",
            expr: 'sum(rate(istio_tcp_connections_closed_total{reporter="destination", response_flags="UF"}[5m])) > 1',
          },
        ],
      },
      {
        name: "istio.recording",
        rules: [
          {
            record: "workload:istio_requests_total:rate5m",
            expr: 'sum by (destination_workload) (rate(istio_requests_total{reporter=~"source|destination"}[5m]))',
          },
        ],
      },
    ],
  },
});

/** The prometheus-operator sample's PodMonitor and ServiceMonitor, moved into the namespace and scraping only it. */
function sampleMonitors(ns: string): KubeObject[] {
  return parseAllDocuments(readFileSync(`${fixtures}/addons/prometheus-operator.yaml`, "utf8")).map((d) => {
    const o = d.toJS() as KubeObject;
    o.metadata.namespace = ns;
    o.spec.namespaceSelector = { matchNames: [ns] };
    return o;
  });
}

/** The rewrite undone: what must give back the original text, byte for byte. */
function undoReporterRewrite(text: string): string {
  return text
    .replace(/reporter=~(\\?")(destination|source)\|waypoint\\?"/g, "reporter=$1$2$1")
    .replace(/reporter=~(\\?")(\$\w+|source\|destination)\|waypoint\\?"/g, "reporter=~$1$2$1")
    .replace('"query": "source,destination,waypoint"', '"query": "source,destination"');
}

/** Every reporter matcher of an L7 family in the text, with the family. */
function l7ReporterMatchers(text: string): { family: string; matcher: string }[] {
  const out: { family: string; matcher: string }[] = [];
  for (const m of text.matchAll(/(istio_[a-z_]+)\{([^}]*)\}/g)) {
    const family = m[1] as string;
    if (!L7_FAMILY.test(family)) continue;
    for (const r of (m[2] as string).matchAll(/reporter\s*(=~|=|!=|!~)\s*"([^"]*)"/g))
      out.push({ family, matcher: `${r[1]}"${r[2]}"` });
  }
  return out;
}

/** A kubeconfig that authenticates as the shipped ServiceAccount, against the same apiserver. */
async function serviceAccountKubeconfig(): Promise<string> {
  await kubectl(["apply", "-f", join(repoRoot, "deploy/rbac/ambient-migrate.yaml")]);
  return kubeconfigForServiceAccount("ambient-migrate");
}

const GENERATED_IN_ISTIO_SYSTEM = ["ztunnel", "waypoints"];

describe("observability --apply", () => {
  let ns: string;
  let kubeconfig: string;
  const dir = mkdtempSync(join(tmpdir(), "am-observability-e2e-"));
  const before = new Map<string, KubeObject>();
  let preexisting: string[] = [];

  const get = async (resource: string, name: string, namespace = ns) =>
    kubectlJson<KubeObject>(["-n", namespace, "get", resource, name]);

  beforeAll(async () => {
    ns = await createNamespace("obs");
    kubeconfig = await serviceAccountKubeconfig();
    const configMap = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "istio-service-dashboard", namespace: ns, labels: { grafana_dashboard: "1" } },
      data: { [DASHBOARD_KEY]: dashboardText },
    };
    await apply(JSON.stringify(configMap), ns);
    await apply(JSON.stringify(rules(ns)), ns);
    await apply(
      sampleMonitors(ns)
        .map((m) => stringify(m))
        .join("---\n"),
      ns,
    );
    await apply(appWithMetrics, ns);
    for (const [resource, name] of [
      ["configmap", "istio-service-dashboard"],
      ["prometheusrule", "istio-alerts"],
      ["podmonitor", "envoy-stats-monitor"],
      ["servicemonitor", "istio-component-monitor"],
    ] as const)
      before.set(`${resource}/${name}`, await get(resource, name));
    const existing = await kubectlJson<{ items: KubeObject[] }>(["-n", "istio-system", "get", "podmonitors"]);
    preexisting = existing.items.map((m) => m.metadata.name);
  });

  afterAll(async () => {
    // Only what this test created in istio-system; other runs' monitors stay.
    const mine = GENERATED_IN_ISTIO_SYSTEM.filter((n) => !preexisting.includes(n));
    if (mine.length > 0)
      await kubectl(["-n", "istio-system", "delete", "podmonitor", ...mine, "--ignore-not-found"], {
        allowFail: true,
      });
    await deleteNamespaces();
  });

  it("--dry-run=client prints the server-side applies and changes nothing", async () => {
    const r = await cli([
      "--kubeconfig",
      kubeconfig,
      "observability",
      "-n",
      ns,
      "--apply",
      "--dry-run=client",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "kubectl apply --server-side --field-manager=ambient-migrate --force-conflicts -f - <<'EOF'  # update ConfigMap/",
    );
    expect(r.stdout).toContain(`# create PodMonitor/${ns}/shop-metrics`);
    expect((await get("configmap", "istio-service-dashboard")).data).toEqual(
      before.get("configmap/istio-service-dashboard")?.data,
    );
    expect(readdirSync(dir).filter((f) => f.startsWith("observability-"))).toEqual([]);
  });

  it("--dry-run=server has the apiserver and the real CRDs validate every apply, and stores nothing", async () => {
    const r = await cli([
      "--kubeconfig",
      kubeconfig,
      "observability",
      "-n",
      ns,
      "--apply",
      "--dry-run=server",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/update\s+PrometheusRule\/\S+\/istio-alerts\s.*dry run \(server\)/);
    expect(r.stdout).toMatch(/create\s+PodMonitor\/\S+\/shop-metrics\s.*dry run \(server\)/);
    expect((await get("prometheusrule", "istio-alerts")).spec).toEqual(
      before.get("prometheusrule/istio-alerts")?.spec,
    );
    expect(
      (await kubectl(["-n", ns, "get", "podmonitor", "shop-metrics"], { allowFail: true })).code,
    ).not.toBe(0);
  });

  it("refuses to change the cluster without a terminal or --yes (exit 2)", async () => {
    const r = await cli(["--kubeconfig", kubeconfig, "observability", "-n", ns, "--apply"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--yes");
  });

  it("rewrites the dashboard and the rules in place, creates the PodMonitors, after a verified backup", async () => {
    const backupDir = join(dir, "backup");
    const r = await cli([
      "--kubeconfig",
      kubeconfig,
      "observability",
      "-n",
      ns,
      "--apply",
      "--yes",
      "--backup-dir",
      backupDir,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/backup of 2 object\(s\) written to .*, read back and verified/);

    // The dashboard: every L7 reporter matcher rewritten, every other byte as it was.
    const cm = await get("configmap", "istio-service-dashboard");
    const after = (cm.data as Record<string, string>)[DASHBOARD_KEY] as string;
    expect(after).not.toEqual(dashboardText);
    expect(undoReporterRewrite(after)).toEqual(dashboardText);
    const expressions = JSON.parse(after)
      .panels.flatMap((p: { targets?: { expr?: string }[] }) => p.targets ?? [])
      .map((t: { expr?: string }) => t.expr ?? "")
      .join("\n");
    const l7 = l7ReporterMatchers(expressions);
    expect(l7.length).toBeGreaterThan(50);
    for (const m of l7) expect(m.matcher, m.family).toMatch(/waypoint/);
    expect(cm.metadata.labels).toEqual({ grafana_dashboard: "1" });

    // The rules: rewritten, TCP left alone, and valid for the real promtool.
    const rule = await get("prometheusrule", "istio-alerts");
    const exprs = rule.spec.groups.flatMap((g: { rules: { expr: string }[] }) => g.rules.map((x) => x.expr));
    expect(exprs).toEqual([
      'sum by (destination_service) (rate(istio_requests_total{reporter=~"destination|waypoint", response_code=~"5.."}[5m]))\n' +
        '/ sum by (destination_service) (rate(istio_requests_total{reporter=~"destination|waypoint"}[5m])) > 0.05',
      'sum by (source_workload) (rate(istio_requests_total{reporter=~"source|waypoint", response_code=~"4.."}[5m])) > 10',
      'sum(rate(istio_tcp_connections_closed_total{reporter="destination", response_flags="UF"}[5m])) > 1',
      'sum by (destination_workload) (rate(istio_requests_total{reporter=~"source|destination|waypoint"}[5m]))',
    ]);
    const rulesFile = join(dir, "rules.yaml");
    writeFileSync(rulesFile, stringify({ groups: rule.spec.groups }));
    expect(execFileSync("promtool", ["check", "rules", rulesFile], { encoding: "utf8" })).toContain(
      "SUCCESS: 4 rules found",
    );

    // The PodMonitors exist: the real CRD schema accepted them.
    const app = await get("podmonitor", "shop-metrics");
    expect(app.spec).toEqual({
      selector: { matchLabels: { app: "shop", version: "v1" } },
      podMetricsEndpoints: [{ port: "http-metrics", path: "/stats" }],
    });
    expect(app.metadata.labels).toEqual({
      release: "istio",
      "app.kubernetes.io/managed-by": "ambient-migrate",
    });
    for (const name of GENERATED_IN_ISTIO_SYSTEM) {
      const m = await get("podmonitor", name, "istio-system");
      expect(m.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("ambient-migrate");
    }

    // A second run has nothing left to do.
    const again = await cli(["--kubeconfig", kubeconfig, "observability", "-n", ns, "--apply", "--yes"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("nothing to change");

    // The backup restores the originals with kubectl apply, object by object.
    // Beside it, the runs' logs (observability-<time>.log).
    const [file] = readdirSync(backupDir).filter((f) => f.endsWith(".yaml"));
    const backup = readFileSync(join(backupDir, file as string), "utf8");
    expect(backup).toMatch(
      new RegExp(`^# creates \\(not in this file; delete to undo\\): .*PodMonitor.* ${ns}/shop-metrics`, "m"),
    );
    expect(
      readBackup(backup, "backup")
        .map((o) => `${o.kind}/${o.metadata.name}`)
        .sort(),
    ).toEqual(["ConfigMap/istio-service-dashboard", "PrometheusRule/istio-alerts"]);
    const restored = await kubectl(["apply", "-f", join(backupDir, file as string)]);
    expect(restored.stderr).not.toMatch(/error/i);
    for (const [key, original] of before) {
      const [resource, name] = key.split("/") as [string, string];
      const now = stripServerFields(await get(resource, name));
      expect(now, key).toEqual(stripServerFields(original));
    }
  });
});
