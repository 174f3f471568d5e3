// `ambient-migrate migrate -n NS...`: runs each namespace's plan on the live cluster, one
// namespace at a time, stopping at the first failure. The plan is built from a fresh read of
// the cluster; the journal in each namespace makes a second run resume (or do nothing).

import { Command, Option } from "commander";
import { assess } from "../../assess/assess.js";
import { AmbientMigrateError, ExitCode } from "../../errors.js";
import { readCluster } from "../../inventory/from-cluster.js";
import { buildPlan } from "../../plan/build.js";
import { renderObservability } from "../../plan/render-text.js";
import { blockedError, type DryRun, migrateNamespace, type RunResult } from "../../run/execute.js";
import { newHolderIdentity } from "../../run/lock.js";
import { confirm, DEFAULT_GATE_TIMEOUT, parseTimeout, withInterruption } from "../../run/session.js";
import { clusterPortFor } from "../cluster-loader.js";
import { globalOptions, note, selectNamespaces } from "../context.js";
import { structured, table } from "../output.js";

interface MigrateFlags {
  yes?: boolean;
  dryRun: DryRun | "none";
  timeout: string;
  backupDir: string;
  patchForcedInjection?: boolean;
  acceptTranslationLosses?: boolean;
}

export function migrateCommand(): Command {
  return new Command("migrate")
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
    .option("--backup-dir <dir>", "where step 5 writes its backup", "ambient-migrate-backup")
    .option(
      "--accept-translation-losses",
      "migrate even where the translation cannot carry everything over (as `plan --accept-translation-losses`)",
    )
    .option(
      "--patch-forced-injection",
      "in step 3, also remove sidecar.istio.io/inject=true and istio.io/rev from pod templates that force injection on their own (Deployments, StatefulSets, DaemonSets, CronJobs); rollback puts them back",
    )
    .action(async (args: string[], flags: MigrateFlags, command: Command) => {
      const options = globalOptions(command, { namespaceArgs: args });
      if (options.filename.length > 0)
        throw new AmbientMigrateError(
          "migrate changes a cluster; it does not read files",
          ExitCode.usage,
          "drop -f",
        );
      const timeoutMs = parseTimeout(flags.timeout);
      const port = await clusterPortFor(options);
      const inventory = await readCluster(port, { note });
      const namespaces = selectNamespaces(inventory, options);
      const plan = buildPlan(inventory, assess(inventory, namespaces), {
        acceptTranslationLosses: flags.acceptTranslationLosses === true,
        patchForcedInjection: flags.patchForcedInjection === true,
      });
      // Blockers stop the whole run before any namespace is touched.
      if (plan.namespaces.some((p) => p.blocked)) throw blockedError(plan.namespaces);
      const toStdout = options.output === "table" ? (l: string) => process.stdout.write(`${l}\n`) : note;

      if (flags.dryRun === "none") {
        const summary = plan.namespaces.map(
          (p) =>
            `  ${p.namespace}: ${p.state.summary}; steps ${p.steps.map((s) => s.step).join(",") || "-"}` +
            (p.blocked ? " (BLOCKED)" : ""),
        );
        note(`about to migrate ${namespaces.length} namespace(s) on ${port.context} (${port.server}):`);
        for (const line of summary) note(line);
        // Templates that force injection: patched with --patch-forced-injection, else they keep sidecars.
        for (const p of plan.namespaces)
          for (const n of p.steps.find((s) => s.step === 3)?.notes ?? [])
            note(`  ${p.namespace} step 3: ${n}`);
        if (!(await confirm("proceed?", flags.yes === true))) {
          note("nothing changed");
          process.exitCode = ExitCode.usage;
          return;
        }
      }

      const results: { namespace: string; result: RunResult }[] = [];
      const holder = newHolderIdentity();
      await withInterruption(note, async (signal) => {
        for (const nsPlan of plan.namespaces) {
          note(`== ${nsPlan.namespace}`);
          const result = await migrateNamespace(port, nsPlan, {
            timeoutMs,
            dryRun: flags.dryRun,
            holder,
            backupDir: flags.backupDir,
            signal,
            out: toStdout,
            progress: note,
            toolVersion: command.parent?.version() ?? "unknown",
          });
          results.push({ namespace: nsPlan.namespace, result });
          // Dashboards, alerts and scrape targets that change now (not done by migrate itself).
          if (result === "migrated" && nsPlan.observability)
            for (const line of renderObservability(nsPlan.observability)) note(line);
        }
      });
      if (options.output === "table")
        process.stdout.write(
          table(
            ["namespace", "result"],
            results.map((r) => [r.namespace, r.result]),
          ),
        );
      else process.stdout.write(structured({ namespaces: results }, options.output));
    });
}
