// `ambient-migrate migrate -n NS...`: runs each namespace's plan on the live cluster, one
// namespace at a time, stopping at the first failure; or N at once with --parallel N, in waves
// with --waves (one that fails does not stop the others of its wave). The plan is built from a
// fresh read of the cluster; the journal in each namespace makes a second run resume (or do nothing).

import { Command, InvalidArgumentError, Option } from "commander";
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
import { isStepNumber, LAST_STEP, STEPS, type StepNumber, stepNumber } from "../../plan/steps.js";
import { eventLine, type SummaryEvent, type SummaryRow } from "../../run/events.js";
import { blockedError, type DryRun, type RunResult } from "../../run/execute.js";
import { migrateGated } from "../../run/gated.js";
import { newHolderIdentity } from "../../run/lock.js";
import { confirm, DEFAULT_GATE_TIMEOUT, parseTimeout, withInterruption } from "../../run/session.js";
import { type VerifyResult, verifyStep } from "../../run/verify.js";
import { prefixed, runWaves, summaryRows, wavesExitCode } from "../../run/waves.js";
import { observedTraffic, wavesOf } from "../../waves/waves.js";
import { type AnalysisFlags, addAnalysisFlags, analysisFromFlags } from "../analysis-flags.js";
import { clusterPortFor } from "../cluster-loader.js";
import { globalOptions, selectNamespaces } from "../context.js";
import { RunScreen } from "../live/run-screen.js";
import { LiveTree, liveTreeWanted } from "../live/terminal.js";
import { structured, table } from "../output.js";
import { planOptionsOf, withPlanFlags } from "../plan-flags.js";
import { prometheusConnection } from "../prometheus-flags.js";
import { defaultLogPath, loggedRun } from "../run-log.js";
import { type IOStreams, noteTo, styleFor } from "../streams.js";

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

function parseParallel(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError("a whole number of namespaces, 1 or more");
  return n;
}

function parseStep(value: string): StepNumber {
  const n = Number(value);
  if (!isStepNumber(n))
    throw new InvalidArgumentError(
      `a step number from 1 to ${LAST_STEP} (${STEPS.map((s, i) => `${i + 1} ${s.id}`).join(", ")})`,
    );
  return n;
}

export function migrateCommand(io: IOStreams): Command {
  const screen = noteTo(io);
  const base = new Command("migrate")
    .description(
      "migrate namespaces to ambient mode on the live cluster: the six steps of the plan, each change " +
        "journalled in the namespace and each step verified before the next; resumable and reversible",
    )
    .argument("[namespace...]", "namespaces to migrate (as -n NS)")
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .addOption(
      new Option("--dry-run <mode>", "client: print the changes; server: send them with server-side dry run")
        .choices(["none", "client", "server"])
        .default("none"),
    )
    .option("--timeout <duration>", "how long each verification gate may take", DEFAULT_GATE_TIMEOUT)
    .option(
      "--backup-dir <dir>",
      `where step ${stepNumber("remove-sidecar-config")} writes its backup`,
      "ambient-migrate-backup",
    );
  return addAnalysisFlags(withPlanFlags(base), true)
    .addOption(
      new Option(
        "--to-step <n>",
        "stop after step N (journalled: status shows it, a later migrate goes on from there)",
      ).argParser(parseStep),
    )
    .option(
      "--waves",
      "migrate in waves (see plan --waves): callers before the namespaces they call, a wave only once the one before it is done; with --prometheus, also by the traffic it observed",
    )
    .addOption(
      new Option(
        "--parallel <n>",
        "migrate up to N namespaces at once (with --waves: of a wave), each under its own lock; one that " +
          "fails does not stop the others, the summary gives each namespace's result, and the exit code " +
          "is that of the first namespace that failed (9 verification, 10 lock held...)",
      )
        .argParser(parseParallel)
        .default(1),
    )
    .option("--window <duration>", "with --waves --prometheus: how far back to look at traffic", "7d")
    .option(
      "--verify-only",
      "change nothing: check that steps 1..N (--step N) are in place on the cluster and run step N's verification gates (exit 0, or 9); for a pipeline after each GitOps sync",
    )
    .addOption(new Option("--step <n>", "with --verify-only: the step to verify").argParser(parseStep))
    .option(
      "--log <file>",
      "write everything the run says to FILE, timestamped and uncoloured (progress, each change's kubectl equivalent with its manifest, every event); the terminal then shows one line per change. Default: a new migrate-<time>.log in --backup-dir (its path is printed)",
    )
    .option(
      "--allow-gitops-drift",
      "change namespaces and objects that Argo CD, Flux or Helm manage (finding gitops-managed) even though their owner puts the changes back; suspend its sync first",
    )
    .addHelpText(
      "after",
      `
With --analysis FILE or --slo default, a baseline is taken before step 1 and an analysis runs on
Prometheus after each gated step: a failure stops with exit 9 (onFailure: pause; a later migrate
resumes and runs it again) or rolls the namespace back and runs the analysis again (rollback).
No data or a query error is inconclusive: it stops the run too, and never passes (docs/analysis.md).
  ambient-migrate migrate shop --slo default --prometheus http://127.0.0.1:9090 --on-failure rollback
  ambient-migrate plan -n shop --slo default        # every default query, per Service

Objects that Argo CD, Flux or Helm manage (assess: gitops-managed) are not changed: migrate exits
with code 2 and lists them, because their owner puts the injection label back, re-creates deleted
VirtualServices and reverts patched templates. Commit the steps instead (plan --output-dir DIR, then
migrate --verify-only -n NS --step N after each sync), or suspend the sync and pass --allow-gitops-drift.

--verify-only -n NS --step N writes nothing (no lock, no journal): it checks that what steps 1..N
change is on the cluster (labels, pod template keys, objects added, objects deleted), then waits up to
--timeout for step N's gates (step 4 also until no pod runs a sidecar). Exit 0: step N is done; 9: not.
  ambient-migrate migrate --verify-only -n shop --step 3 --timeout 10m

Output: -o table prints each change's kubectl equivalent and a result per namespace; -o json streams
one JSON event per line (NDJSON) as the run goes: namespace, step and gate started / waiting /
passed / failed, change applied or skipped, journal written, and last a summary of every
namespace's result and the exit code (schema: docs/events.schema.json); -o yaml prints the
results at the end. Progress goes to stderr: on a terminal, a live tree of each namespace, step,
change and gate (spinner, elapsed time, ✓/✗ and why), one line per change; the manifests go to
the log (--log, else beside the backup). Ctrl-C finishes the current change, records the
interruption in the journal and exits 130; migrate again resumes.

  ambient-migrate migrate -n a,b,c,d --parallel 4 --yes     # 4 at once; one failing stops no other
  ambient-migrate migrate -n a,b,c --waves --parallel 2     # callers first, 2 of a wave at once`,
    )
    .action((args: string[], flags: MigrateFlags, command: Command) => {
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
          if (gate)
            for (const line of describeChecks(gate.analysis, nsPlan.namespace, gate.checks)) say(line);
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
    });
}
