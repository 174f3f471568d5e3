// What `ambient-migrate observability` does (its flags and help: commands/observability.ts).

import type { Command } from "commander";
import { defaultBackupPath } from "../../backup/backup.js";
import { AmbientMigrateError, ExitCode } from "../../errors.js";
import { readCluster } from "../../inventory/from-cluster.js";
import { describeRef } from "../../inventory/identity.js";
import {
  type ApplyDryRun,
  type ApplyEvent,
  applyObservabilityChanges,
  observabilityApplyPlan,
} from "../../observability/apply.js";
import { continuityExpectations } from "../../observability/continuity.js";
import { inventoryFiles, readInputDocuments, writeOutputs } from "../../observability/inputs.js";
import type { RewriteMode } from "../../observability/promql.js";
import {
  buildReport,
  clusterObjectDocuments,
  type ObservabilityReport,
  reportDiff,
} from "../../observability/report.js";
import { continuityPassed, verifyContinuity } from "../../observability/verify.js";
import { PrometheusClient } from "../../prometheus/client.js";
import { eventLine } from "../../run/events.js";
import { confirm } from "../../run/session.js";
import { clusterPortFor } from "../cluster-loader.js";
import { type GlobalOptions, globalOptions, loadMesh, selectNamespaces } from "../context.js";
import { ApplyTree } from "../live/apply-tree.js";
import { LiveView, liveTreeWanted } from "../live/terminal.js";
import { structured, table } from "../output.js";
import { planOptionsOf } from "../plan-flags.js";
import { type PrometheusFlags, prometheusConnection } from "../prometheus-flags.js";
import { defaultLogPath, loggedRun } from "../run-log.js";
import { type IOStreams, noteTo, styleFor } from "../streams.js";

interface Options extends PrometheusFlags {
  dashboards?: string[];
  rules?: string[];
  mode: RewriteMode;
  outputDir?: string;
  overwrite?: boolean;
  diff?: boolean;
  apply?: boolean;
  yes?: boolean;
  dryRun: ApplyDryRun;
  backupDir: string;
  rootNamespace?: string;
  verify?: boolean;
  log?: string;
}

export async function action(io: IOStreams, options: Options, command: Command): Promise<void> {
  const note = noteTo(io);
  const global = globalOptions(command);
  if (options.verify || options.prometheus) {
    await verifyOnPrometheus(options, global, io);
    return;
  }
  if (options.apply || options.dryRun !== "none") {
    await applyToCluster(options, global, command.parent?.version() ?? "unknown", io);
    return;
  }
  const documents = readInputDocuments([...(options.dashboards ?? []), ...(options.rules ?? [])]);
  let mesh: Parameters<typeof buildReport>[2];
  if (wantsMesh(global) || documents.length === 0) {
    const loaded = await loadMesh(global, note);
    note(loaded.summary);
    mesh = { inventory: loaded.inventory, namespaces: loaded.namespaces, ...planOptionsOf(options) };
    const named = new Set(documents.map((d) => d.source));
    documents.push(...inventoryFiles(loaded.inventory, named), ...clusterObjectDocuments(loaded.inventory));
  }
  if (documents.length === 0 && !mesh) {
    throw new AmbientMigrateError("nothing to do", ExitCode.usage, "give --dashboards, --rules or -f");
  }
  const report = buildReport(documents, options.mode, mesh);
  summarise(report, note);
  if (options.outputDir) {
    for (const file of writeOutputs(report, options.outputDir, options.overwrite === true))
      note(`wrote ${file}`);
  }
  if (options.diff) io.out.write(reportDiff(report));
  else if (global.output === "table") io.out.write(renderTable(report));
  else io.out.write(structured(forScripts(report), global.output));
}

/** --apply: the cluster's own dashboards, rules and monitors, rewritten and applied in place. */
async function applyToCluster(
  options: Options,
  global: GlobalOptions,
  toolVersion: string,
  io: IOStreams,
): Promise<void> {
  // On a terminal, the live tree (live/apply-tree.ts) shows the applies; lines that stay go above it.
  let view: LiveView<ApplyEvent> | undefined;
  const show = (line: string) => (view ? view.line(line) : noteTo(io)(line));
  const settle = () => {
    view?.stop();
    view = undefined;
  };
  // A real run logs its manifests: to --log, else to a new file beside the backup.
  const logFile =
    options.log ??
    (options.dryRun === "none" ? defaultLogPath(options.backupDir, "observability") : undefined);
  if (global.filename.length > 0 || options.dashboards || options.rules || options.diff)
    throw new AmbientMigrateError(
      "--apply rewrites the cluster's own objects; it reads no files",
      ExitCode.usage,
      "drop -f, --dashboards, --rules and --diff, or drop --apply to rewrite files",
    );
  await loggedRun(logFile, show, settle, async ({ note, log }) => {
    const port = await clusterPortFor(global, note);
    const inventory = await readCluster(port, { note });
    const namespaces = selectNamespaces(inventory, global, note);
    const { report, changes } = observabilityApplyPlan(
      inventory,
      namespaces,
      options.mode,
      planOptionsOf(options).rootNamespace,
    );
    summarise(report, note);
    const rows = (result: (i: number) => string) =>
      table(
        ["action", "object", "why", "result"],
        changes.map((c, i) => [c.action, describeRef(c.target), c.why, result(i)]),
      );
    if (changes.length === 0)
      note("nothing to change: dashboards, rules and monitors are already as they should be");
    else {
      if (changes.some((c) => c.target.apiVersion.startsWith("monitoring.coreos.com/"))) {
        if (!(await port.hasResource("monitoring.coreos.com", "v1", "podmonitors"))) {
          throw new AmbientMigrateError(
            "the cluster does not serve monitoring.coreos.com/v1 PodMonitors",
            ExitCode.prerequisiteMissing,
            "install prometheus-operator's CRDs, or write the monitors to files with --output-dir",
          );
        }
      }
      if (options.dryRun === "none") {
        note(`about to change ${changes.length} object(s) on ${port.context} (${port.server}):`);
        for (const c of changes) note(`  ${c.action} ${describeRef(c.target)}: ${c.why}`);
        if (!(await confirm("proceed?", options.yes === true))) {
          note("nothing changed");
          process.exitCode = ExitCode.usage;
          return;
        }
      }
    }
    if (changes.length > 0 && options.dryRun === "none" && liveTreeWanted(io, global.output)) {
      view = new LiveView(io.err, new ApplyTree(styleFor(io, "err", global.color)));
      view.start();
    }
    // The kubectl equivalents: on stdout (-o table) and in the log; with --log or the live tree,
    // the terminal shows one line per object instead (from its events) and the log the rest.
    const terse = options.log !== undefined || view !== undefined;
    const screenOut = global.output === "table" ? (t: string) => io.out.write(`${t}\n`) : note;
    const at = new Date();
    const run = await applyObservabilityChanges(port, changes, {
      dryRun: options.dryRun,
      backupPath: defaultBackupPath(
        `observability-${namespaces.length === 1 ? namespaces[0] : "namespaces"}`,
        at,
        options.backupDir,
      ),
      header: {
        cluster: port.server,
        context: port.context,
        time: at.toISOString(),
        toolVersion,
        namespaces,
      },
      out: (t) => {
        log?.write("kubectl", t);
        if (!terse) screenOut(t);
      },
      // The tree has each step as an event; the log keeps the lines.
      progress: view ? (line) => log?.write("progress", line) : note,
      events: (e) => {
        if (global.output === "json") io.out.write(eventLine(e));
        log?.event(e);
        view?.event(e);
        if (terse && !view && e.event === "apply" && e.phase === "passed")
          note(`  ${e.action} ${e.object}: ${e.result}`);
      },
    });
    settle();
    if (global.output === "table") {
      io.out.write(rows((i) => run.applied[i]?.result ?? ""));
      if (run.backup) io.out.write(`backup: ${run.backup}\n`);
    } else if (global.output === "yaml") {
      io.out.write(
        structured(
          {
            backup: run.backup ?? null,
            changes: run.applied.map((a) => ({
              action: a.change.action,
              object: describeRef(a.change.target),
              why: a.change.why,
              result: a.result,
              applied: a.change.body,
            })),
          },
          "yaml",
        ),
      );
    }
  });
}

/** --verify: the series dashboards expect after migration, asked of Prometheus. */
async function verifyOnPrometheus(options: Options, global: GlobalOptions, io: IOStreams): Promise<void> {
  const note = noteTo(io);
  if (!options.verify || !options.prometheus)
    throw new AmbientMigrateError(
      options.verify ? "--verify needs --prometheus URL" : "--prometheus goes with --verify",
      ExitCode.usage,
      "e.g. observability --verify -n shop --prometheus http://127.0.0.1:9090 (kubectl -n istio-system port-forward svc/prometheus 9090)",
    );
  if (options.apply || options.dashboards || options.rules || options.diff || options.outputDir)
    throw new AmbientMigrateError(
      "--verify only reads: it takes no --apply, --dashboards, --rules, --diff or --output-dir",
      ExitCode.usage,
    );
  const connection = prometheusConnection(options);
  if (!connection) throw new AmbientMigrateError("--verify needs --prometheus URL", ExitCode.usage);
  const client = PrometheusClient.connect(connection);
  // Reachable first: a namespace with nothing to expect must not hide a wrong URL.
  await client.query("vector(1)");
  const loaded = await loadMesh(global, note);
  note(loaded.summary);
  const expected = loaded.namespaces.map((ns) => continuityExpectations(loaded.inventory, ns));
  const count = expected.reduce((n, e) => n + e.expectations.length, 0);
  note(`asking ${client.url} for ${count} expected series in ${loaded.namespaces.length} namespace(s)`);
  const report = await verifyContinuity(expected, (expr) => client.query(expr));
  const passed = continuityPassed(report);
  if (global.output === "table") {
    if (report.rows.length > 0)
      io.out.write(
        table(
          ["namespace", "expects", "subject", "state", "series", "query"],
          report.rows.map((r) => [r.namespace, r.kind, r.subject, r.state, String(r.series), r.query]),
        ),
      );
    for (const n of report.notes) for (const line of n.notes) note(`${n.namespace}: ${line}`);
  } else {
    io.out.write(structured({ passed, ...report }, global.output));
  }
  for (const ns of report.nothingExpected)
    note(
      `${ns}: nothing to expect (no Service behind a waypoint, no ambient workload, no app metrics port): not migrated?`,
    );
  const missing = report.rows.filter((r) => r.state === "missing");
  if (missing.length > 0) {
    note(
      `${missing.length} of ${report.rows.length} expected series missing: ${missing.map((r) => `${r.namespace} ${r.kind} ${r.subject}`).join(", ")}`,
    );
    note(
      "hint: waypoint-l7/ztunnel-tcp: Prometheus must scrape the waypoints and ztunnel (observability --apply generates their PodMonitors), and traffic must flow; app-metrics: apply the generated <workload>-metrics PodMonitors",
    );
  } else if (passed) note(`all ${report.rows.length} expected series present`);
  if (!passed) process.exitCode = ExitCode.verificationFailed;
}

/** A mesh is read when -f, a cluster or namespaces are named; dashboards alone need none. */
function wantsMesh(global: GlobalOptions): boolean {
  return (
    global.filename.length > 0 ||
    global.kubeconfig !== undefined ||
    global.context !== undefined ||
    global.namespace.length > 0 ||
    global.allNamespaces
  );
}

function summarise(report: ObservabilityReport, note: (message: string) => void): void {
  const all = report.documents.flatMap((d) => d.expressions);
  const count = (s: string) => all.filter((e) => e.status === s).length;
  note(
    `mode ${report.mode}: ${all.length} expression(s) in ${report.documents.length} document(s): ` +
      `${count("rewritten")} rewritten, ${count("unchanged")} unchanged, ${count("flagged")} flagged`,
  );
}

function forScripts(report: ObservabilityReport) {
  return {
    ...report,
    documents: report.documents.map(({ original: _, text: __, ...d }) => d),
  };
}

function renderTable(report: ObservabilityReport): string {
  const parts: string[] = [];
  const rows = report.documents.flatMap((d) =>
    d.expressions.map((e) => [
      e.source,
      e.location,
      e.status,
      (e.status === "flagged" ? e.reasons : e.notes).join("; "),
    ]),
  );
  if (rows.length > 0) parts.push(table(["source", "location", "status", "why / note"], rows));
  if (report.monitors.length > 0) {
    parts.push(
      table(
        ["monitor", "scrapes", "after migration"],
        report.monitors.map((m) => [
          m.monitor,
          m.covers === "*" ? "all namespaces" : m.covers.join(","),
          m.reasons.length > 0 ? `stops working: ${m.reasons.join("; ")}` : "unaffected",
        ]),
      ),
    );
  }
  if (report.generatedMonitors.length > 0) {
    parts.push(
      `PodMonitors to add (--output-dir writes them):\n${report.generatedMonitors
        .map((m) => `  ${m.metadata.namespace}/${m.metadata.name}`)
        .join("\n")}\n${report.monitorNotes.map((n) => `  note: ${n}\n`).join("")}`,
    );
  }
  if (report.spanRules.length > 0) {
    parts.push(
      `Rules on span metrics (trace-based SLOs to revisit):\n${report.spanRules.map((r) => `  ${r.source}: ${r.location}\n`).join("")}`,
    );
  }
  for (const ns of report.namespaces) {
    const lines = [
      ...ns.metrics,
      ...ns.brokenMonitors.map(
        (m) => `${m.monitor} scrapes this namespace through the sidecar: ${m.reasons.join("; ")}.`,
      ),
      ...ns.apps.map(
        (a) =>
          `${a.workload}: its metrics (port ${a.port}, ${a.path}) ${a.mergedBySidecar ? "were merged by the sidecar; scrape them directly" : "are scraped directly"}.`,
      ),
      ...(ns.strictMtls && ns.apps.length > 0
        ? [
            "STRICT mTLS: a Prometheus outside the mesh cannot scrape these ports unless it is enrolled in the mesh or the ports are exempt.",
          ]
        : []),
      ...ns.tracing.lines,
    ];
    parts.push(`Namespace ${ns.namespace}:\n${lines.map((l) => `  - ${l}\n`).join("")}`);
  }
  return parts.join("\n");
}
