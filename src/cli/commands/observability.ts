// `ambient-migrate observability`: rewrites dashboards and rules for the reporter="waypoint"
// world, finds monitors that relied on merged sidecar metrics, generates the PodMonitors
// ambient needs, and says what changes in traces. Logic lives in src/observability/.

import { Command, Option } from "commander";
import { withPlanFlags } from "../plan-flags.js";
import { addPrometheusFlags } from "../prometheus-flags.js";
import type { IOStreams } from "../streams.js";
import { lazyAction } from "./lazy.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function observabilityCommand(io: IOStreams): Command {
  const base = new Command("observability")
    .description(
      "rewrite dashboards and alert rules for ambient's reporter labels, and list the scrape targets and traces that change",
    )
    .option(
      "--dashboards <path>",
      "Grafana dashboard JSON files, ConfigMaps carrying them, or directories; repeatable",
      collect,
    )
    .option(
      "--rules <path>",
      "Prometheus rule files (groups:) or PrometheusRule manifests, or directories; repeatable",
      collect,
    )
    .addOption(
      new Option(
        "--mode <mode>",
        'during: add reporter "waypoint" to what is matched; after: match only "waypoint"',
      )
        .choices(["during", "after"])
        .default("during"),
    )
    .option("--output-dir <dir>", "write the rewritten files and the generated PodMonitors here")
    .option(
      "--overwrite",
      "replace files that already exist in --output-dir (without it: exit 2, nothing written)",
    )
    .option("--diff", "print a unified diff of the rewritten files instead of the report")
    .option(
      "--apply",
      "live cluster: server-side apply the rewritten ConfigMaps and PrometheusRules and the generated PodMonitors, after a verified backup",
    )
    .option("-y, --yes", "with --apply: do not ask for confirmation (required without a terminal)")
    .addOption(
      new Option(
        "--dry-run <mode>",
        "with --apply (implied): client prints the changes; server sends them with server-side dry run",
      )
        .choices(["none", "client", "server"])
        .default("none"),
    )
    .option("--backup-dir <dir>", "where --apply writes its backup", "ambient-migrate-backup")
    .option(
      "--log <file>",
      "with --apply: write everything the run says to FILE, timestamped and uncoloured (each apply's kubectl equivalent with its manifest, every event); the terminal then shows one line per object. Default: a new observability-<time>.log in --backup-dir (its path is printed)",
    )
    .option(
      "--verify",
      "after migration: ask Prometheus (--prometheus) whether the series dashboards now expect exist (waypoint L7, ztunnel TCP, apps' own metrics); exit 9 when one is missing",
    )
    .option(
      "--prometheus <url>",
      "with --verify: Prometheus's base URL (TLS and token: the --prometheus-* flags)",
    );
  addPrometheusFlags(base);
  return withPlanFlags(base, ["rootNamespace"])
    .addHelpText(
      "after",
      `
Reads PodMonitors, ServiceMonitors, PrometheusRules, dashboard ConfigMaps and workloads from -f
(or the cluster). Details: docs/observability.md.

Examples:
  ambient-migrate observability --dashboards dashboards/ --mode during --diff
  ambient-migrate observability -f monitoring/ -f apps/ --rules alerts.yaml --output-dir out/ -n shop
  ambient-migrate observability -n shop --apply --dry-run=client
  ambient-migrate observability -n shop --apply --yes
  ambient-migrate observability --verify -n shop --prometheus http://127.0.0.1:9090
  ambient-migrate observability --verify -A --prometheus http://127.0.0.1:9090 -o json

--apply on a terminal shows a live tree: the backup and each object's apply, with a spinner and
its elapsed time, then ✓/✗ and why; the manifests go to the log (--log, else beside the backup).
-o json streams one JSON event per line (NDJSON) as it goes: observability started (what will
change), backup and each apply started / passed / failed, and last observability passed (the
backup's path) or failed (schema: docs/events.schema.json).

--verify, one row per expected series (state present or missing, and the PromQL asked):
  waypoint-l7   Service behind a waypoint: istio_requests_total{reporter="waypoint",...}
  ztunnel-tcp   ambient workload: istio_tcp_connections_opened_total{reporter=~"source|destination",...}
  app-metrics   app with prometheus.io/* annotations: its own series by namespace and pod
Exit codes: 0 every expected series is present; 9 one is missing, or nothing was expected
(a namespace not migrated yet); 11 Prometheus unreachable or a query refused; 2 bad flags.`,
    )
    .action(lazyAction(io, () => import("../actions/observability.js")));
}
