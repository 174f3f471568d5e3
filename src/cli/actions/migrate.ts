// What `ambient-migrate migrate` does (its flags and help: commands/migrate.ts).

import type { Command } from "commander";
import { AnalysisGate, prometheusQuery } from "../../analysis/gate.js";
import { describeChecks } from "../../analysis/render.js";
import { serviceTargets } from "../../analysis/targets.js";
import { AmbientMigrateError, ExitCode } from "../../errors.js";
import { describeDrift, gitopsDrift } from "../../gitops/drift.js";
import { readCluster } from "../../inventory/from-cluster.js";
import type { Inventory } from "../../inventory/model.js";
import { planNamespaces } from "../../plan/build.js";
import type { NamespacePlan } from "../../plan/model.js";
import { renderObservability } from "../../plan/render-text.js";
import type { StepNumber } from "../../plan/steps.js";
import { eventLine, type SummaryEvent, type SummaryRow } from "../../run/events.js";
import { blockedError, type DryRun, type RunResult } from "../../run/execute.js";
import { migrateGated } from "../../run/gated.js";
import { newHolderIdentity } from "../../run/lock.js";
import { confirm, parseTimeout, withInterruption } from "../../run/session.js";
import { type VerifyResult, verifyStep } from "../../run/verify.js";
import { prefixed, runWaves, summaryRows, wavesExitCode } from "../../run/waves.js";
import { observedTraffic, wavesOf } from "../../waves/waves.js";
import type { AnalysisFlags } from "../analysis-flags.js";
import { clusterPortFor } from "../cluster-loader.js";
import { globalOptions, selectNamespaces } from "../context.js";
import { RunScreen } from "../live/run-screen.js";
import { LiveTree, liveTreeWanted } from "../live/terminal.js";
import { structured, table } from "../output.js";
import { planOptionsOf } from "../plan-flags.js";
import { prometheusConnection } from "../prometheus-flags.js";
import { defaultLogPath, loggedRun } from "../run-log.js";
import { type IOStreams, noteTo, styleFor } from "../streams.js";
import { analysisFromFlags } from "./analysis.js";

interface MigrateFlags extends AnalysisFlags {
  yes?: boolean;
  dryRun: DryRun | "none";
  timeout: string;
  backupDir: string;
  toStep?: StepNumber;
  waves?: boolean;
  parallel: number;
  window: string;
  allowGitopsDrift?: boolean;
  verifyOnly?: boolean;
  step?: StepNumber;
  log?: string;
}

export async function action(
  io: IOStreams,
  args: string[],
  flags: MigrateFlags,
  command: Command,
): Promise<void> {
  const screen = noteTo(io);
  // On a terminal, the live tree (live/tree.ts) shows the run; lines that stay go above it.
  const view = new RunScreen(screen);
  // A real run always logs its full changes: to --log, else to a new file beside the backup.
  const realRun = flags.dryRun === "none" && !flags.verifyOnly;
  const logFile = flags.log ?? (realRun ? defaultLogPath(flags.backupDir, "migrate") : undefined);
  return loggedRun(logFile, view.show, view.stop, async ({ note, log }) => {
    const options = globalOptions(command, { namespaceArgs: args });
    if (options.filename.length > 0)
      throw new AmbientMigrateError(
        "migrate changes a cluster; it does not read files",
        ExitCode.usage,
        "drop -f",
      );
    const timeoutMs = parseTimeout(flags.timeout);
    if (flags.step !== undefined && !flags.verifyOnly)
      throw new AmbientMigrateError(
        "--step goes with --verify-only",
        ExitCode.usage,
        "add --verify-only, or use --to-step N to stop after step N",
      );
    if (flags.verifyOnly) {
      if (flags.step === undefined)
        throw new AmbientMigrateError(
          "--verify-only needs --step N",
          ExitCode.usage,
          "e.g. --verify-only -n shop --step 3",
        );
      const clash = [
        flags.waves ? "--waves" : "",
        flags.toStep !== undefined ? "--to-step" : "",
        flags.dryRun !== "none" ? "--dry-run" : "",
        flags.analysis || flags.slo ? "--analysis/--slo" : "",
      ].filter((c) => c !== "");
      if (clash.length > 0)
        throw new AmbientMigrateError(
          `--verify-only does not go with ${clash.join(", ")}`,
          ExitCode.usage,
          "drop them",
        );
    }
    // With --waves, --prometheus alone orders the waves by observed traffic (no analysis).
    const analysis = analysisFromFlags(
      flags.waves && !flags.analysis && !flags.slo ? { ...flags, prometheus: undefined } : flags,
    );
    const query = analysis && flags.dryRun === "none" ? prometheusQuery(analysis) : undefined;
    const port = await clusterPortFor(options, note);
    const inventory = await readCluster(port, { note });
    const namespaces = selectNamespaces(inventory, options, note);
    const observed = flags.waves
      ? await observedTraffic({ window: flags.window, prometheus: prometheusConnection(flags) }, note)
      : [];
    if (flags.verifyOnly && flags.step !== undefined) {
      const step = flags.step;
      const plan = planNamespaces(inventory, namespaces, { ...planOptionsOf(flags), allSteps: true });
      const results: VerifyResult[] = [];
      await withInterruption(note, async (signal) => {
        for (const nsPlan of plan.namespaces)
          results.push(await verifyStep(port, nsPlan, step, { timeoutMs, signal, progress: note }));
      });
      if (options.output === "table")
        io.out.write(
          table(
            ["namespace", "step", "result"],
            results.map((r) => [
              r.namespace,
              `${r.step} ${r.title}`,
              `verified (${r.inPlace} changes in place, ${r.gates.length} gates passed)`,
            ]),
          ),
        );
      else io.out.write(structured({ verified: results }, options.output));
      return;
    }
    const plan = planNamespaces(inventory, namespaces, { ...planOptionsOf(flags), observed });
    // Blockers stop the whole run before any namespace is touched.
    if (plan.namespaces.some((p) => p.blocked)) throw blockedError(plan.namespaces);
    // GitOps owners put back what the run changes: refused before anything is touched.
    const drift = gitopsDrift(inventory, plan.namespaces);
    if (drift.length > 0 && !flags.allowGitopsDrift && flags.dryRun === "none")
      throw new AmbientMigrateError(
        `refusing to change ${drift.length} object(s) that Argo CD, Flux or Helm manage; nothing was changed`,
        ExitCode.usage,
        "commit the changes to Git instead (ambient-migrate plan --output-dir DIR), or suspend the sync and pass --allow-gitops-drift",
        drift.map(describeDrift),
      );
    if (drift.length > 0)
      for (const d of drift)
        note(`gitops drift${flags.allowGitopsDrift ? " (allowed)" : ""}: ${describeDrift(d)}`);
    if (realRun && liveTreeWanted(io, options.output))
      view.draw(new LiveTree(io.err, styleFor(io, "err", options.color), flags.parallel > 1));
    // The kubectl equivalents: on stdout (-o table) and in the log; with --log or the live tree,
    // a real run shows one line per change on the terminal instead (from its change event)
    // and logs the rest. Off a terminal without --log, the terminal shows them as it always did.
    const terse = flags.log !== undefined || view.live;
    const screenOut = options.output === "table" ? (l: string) => io.out.write(`${l}\n`) : screen;
    const toStdout = !log
      ? screenOut
      : terse && flags.dryRun === "none"
        ? (l: string) => log.write("kubectl", l)
        : (l: string) => {
            screenOut(l);
            log.write("kubectl", l);
          };

    if (flags.dryRun === "none") {
      const summary = plan.namespaces.map((p) => {
        const steps = p.steps
          .map((s) => s.step)
          .filter((n) => flags.toStep === undefined || n <= flags.toStep);
        return `  ${p.namespace}: ${p.state.summary}; steps ${steps.join(",") || "-"}${p.blocked ? " (BLOCKED)" : ""}`;
      });
      note(`about to migrate ${namespaces.length} namespace(s) on ${port.context} (${port.server}):`);
      for (const line of summary) note(line);
      // Templates that force injection: patched with --patch-forced-injection, else they keep sidecars.
      for (const p of plan.namespaces) {
        const step = p.steps.find((s) => s.id === "remove-injection");
        for (const n of step?.notes ?? []) note(`  ${p.namespace} step ${step?.step}: ${n}`);
      }
      if (!(await confirm("proceed?", flags.yes === true))) {
        note("nothing changed");
        process.exitCode = ExitCode.usage;
        return;
      }
    }
    view.start();

    const holder = newHolderIdentity();
    /** One namespace, its analysis gate included; `say` writes progress (prefixed in waves). */
    const migrateOne = async (
      nsPlan: NamespacePlan,
      seen: Inventory,
      signal: AbortSignal,
      say: (line: string) => void,
      out: (line: string) => void,
    ): Promise<RunResult> => {
      const gate =
        analysis && query
          ? new AnalysisGate(analysis, nsPlan.namespace, serviceTargets(seen, nsPlan), query, say)
          : undefined;
      if (gate) for (const line of describeChecks(gate.analysis, nsPlan.namespace, gate.checks)) say(line);
      const result = await migrateGated(port, nsPlan, {
        timeoutMs,
        dryRun: flags.dryRun,
        holder,
        backupDir: flags.backupDir,
        signal,
        out,
        // The live tree shows a namespace's last progress line under it; the log keeps them all.
        progress: view.progress(nsPlan.namespace, say, log),
        // -o json: NDJSON events on stdout as they happen (docs/events.schema.json); the log
        // gets them too; the live tree is drawn from them.
        ...(options.output === "json" || log || view.live
          ? {
              events: view.events({
                ...(options.output === "json" ? { json: io.out } : {}),
                ...(log ? { log } : {}),
                terse,
                say,
              }),
            }
          : {}),
        toolVersion: command.parent?.version() ?? "unknown",
        style: styleFor(io, "err", options.color),
        ...(flags.toStep !== undefined ? { toStep: flags.toStep } : {}),
        ...(gate ? { analysis: gate } : {}),
      });
      // Dashboards, alerts and scrape targets that change now (not done by migrate itself).
      if (result === "migrated" && nsPlan.observability)
        for (const line of renderObservability(nsPlan.observability)) say(line);
      return result;
    };

    const waves = flags.waves ? wavesOf(inventory, plan, observed) : undefined;
    /** The results at the end: a table, the yaml document, or the last NDJSON event (summary). */
    const summarize = (rows: SummaryRow[], exitCode: number) => {
      view.stop();
      const summary: SummaryEvent = {
        time: new Date().toISOString(),
        event: "summary",
        phase: "finished",
        exitCode,
        namespaces: rows,
        ...(waves ? { waves } : {}),
      };
      log?.event(summary);
      if (options.output === "json") io.out.write(eventLine(summary));
      else if (options.output === "yaml")
        io.out.write(structured({ ...(waves ? { waves } : {}), namespaces: rows }, "yaml"));
      else {
        const failed = rows.some((r) => r.error);
        io.out.write(
          table(
            [...(waves ? ["wave"] : []), "namespace", "result", ...(failed ? ["error"] : [])],
            rows.map((r) => [
              ...(waves ? [String(r.wave)] : []),
              r.namespace,
              r.result,
              ...(failed ? [r.error ? `exit ${r.exitCode}: ${r.error}` : ""] : []),
            ]),
          ),
        );
      }
    };

    // Sequential (the default): one namespace after the other, stopping at the first failure.
    if (!waves && flags.parallel === 1) {
      const results: SummaryRow[] = [];
      await withInterruption(note, async (signal) => {
        for (const nsPlan of plan.namespaces) {
          if (!view.live) note(`== ${nsPlan.namespace}`);
          const result = await migrateOne(nsPlan, inventory, signal, note, toStdout);
          results.push({ namespace: nsPlan.namespace, result });
        }
      });
      summarize(results, ExitCode.ok);
      return;
    }

    // Waves in order (without --waves, every namespace in one), up to N namespaces of a wave at once.
    for (const w of waves ?? []) note(`wave ${w.wave} of ${waves?.length}: ${w.namespaces.join(", ")}`);
    const runs = await withInterruption(note, (signal) =>
      runWaves(
        waves ?? [{ wave: 1, namespaces: plan.namespaces.map((p) => p.namespace) }],
        { parallel: flags.parallel, signal },
        async (wave) => {
          if (!waves) return { now: inventory, plans: plan };
          note(`== wave ${wave.wave} of ${waves.length}: ${wave.namespaces.join(", ")}`);
          // Planned afresh: earlier waves changed the cluster (bypass lists, sidecar callers).
          const now = await readCluster(port, { note });
          return {
            now,
            plans: planNamespaces(now, wave.namespaces, { ...planOptionsOf(flags), observed }),
          };
        },
        async (namespace, { now, plans }) => {
          const nsPlan = plans.namespaces.find((p) => p.namespace === namespace);
          if (!nsPlan)
            throw new AmbientMigrateError(`${namespace} is no longer in the cluster`, ExitCode.notFound);
          if (nsPlan.blocked) throw blockedError([nsPlan]);
          // The lines of namespaces run at once each say which namespace they are about.
          const say = prefixed(namespace, note);
          if (!view.live) say("started");
          const result = await migrateOne(nsPlan, now, signal, say, prefixed(namespace, toStdout));
          if (!view.live) say(result);
          return result;
        },
      ),
    );
    const failed = runs.filter((r) => r.error);
    if (failed.length > 0) {
      note(`${failed.length} of ${runs.length} namespace(s) failed:`);
      for (const r of failed) {
        note(`  ${r.namespace} (exit ${r.error?.exitCode}): ${r.error?.message}`);
        if (r.error?.hint) note(`    hint: ${r.error.hint}`);
      }
    }
    const exitCode = wavesExitCode(runs);
    summarize(summaryRows(runs, waves !== undefined), exitCode);
    process.exitCode = exitCode;
  });
}
