// `ambient-migrate rollback NS... [--to-step N]`: undoes what `migrate` recorded in the namespace's
// journal, newest first, with the exact values it replaced; restarted workloads are restarted
// again once injection is back, and must show their sidecars before the rollback reports done.

import { Command } from "commander";
import { AmbientMigrateError, ExitCode } from "../../errors.js";
import { isStepNumber, LAST_STEP, STEPS } from "../../plan/steps.js";
import { eventLine, type SummaryEvent } from "../../run/events.js";
import { newHolderIdentity } from "../../run/lock.js";
import { type RollbackResult, rollbackNamespace } from "../../run/rollback.js";
import { confirm, DEFAULT_GATE_TIMEOUT, parseTimeout, withInterruption } from "../../run/session.js";
import { clusterPortFor } from "../cluster-loader.js";
import { globalOptions } from "../context.js";
import { RunScreen } from "../live/run-screen.js";
import { LiveTree, liveTreeWanted } from "../live/terminal.js";
import { structured, table } from "../output.js";
import { defaultLogPath, loggedRun } from "../run-log.js";
import { type IOStreams, noteTo, styleFor } from "../streams.js";

interface RollbackFlags {
  toStep: string;
  overwrite?: boolean;
  yes?: boolean;
  timeout: string;
  backupDir: string;
  log?: string;
}

export function rollbackCommand(io: IOStreams): Command {
  const screen = noteTo(io);
  return new Command("rollback")
    .description("undo a migration from the namespace's journal (all of it, or the steps after --to-step)")
    .argument("[namespace...]", "the namespaces to roll back (as -n NS)")
    .option("--to-step <n>", "keep steps 1..n (0: undo everything)", "0")
    .option("--overwrite", "restore backed-up objects even over newer objects of the same name")
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .option("--timeout <duration>", "how long the sidecars may take to come back", DEFAULT_GATE_TIMEOUT)
    .option(
      "--backup-dir <dir>",
      "where migrate kept its backups and the journal's copy (used when the journal ConfigMap was deleted)",
      "ambient-migrate-backup",
    )
    .option(
      "--log <file>",
      "write everything the rollback says to FILE, timestamped and uncoloured (each undo's kubectl equivalent with its manifest, every event); the terminal then shows one line per change. Default: a new rollback-<time>.log in --backup-dir (its path is printed)",
    )
    .addHelpText(
      "after",
      `
Output: -o table prints each undo's kubectl equivalent and a row per namespace; -o json streams one
JSON event per line (NDJSON) as the rollback goes: namespace started / passed (rolled-back) /
failed, each change undone or left alone, the journal written, the restarted workloads' gate, and
last a summary (schema: docs/events.schema.json); -o yaml prints the results at the end.
On a terminal, a live tree shows each namespace, its undone changes and the gate.`,
    )
    .action((args: string[], flags: RollbackFlags, command: Command) => {
      const view = new RunScreen(screen);
      const logFile = flags.log ?? defaultLogPath(flags.backupDir, "rollback");
      return loggedRun(logFile, view.show, view.stop, async ({ note, log }) => {
        const options = globalOptions(command, { namespaceArgs: args });
        const namespaces = options.namespace;
        if (namespaces.length === 0 || options.allNamespaces || options.selector)
          throw new AmbientMigrateError(
            "rollback needs the namespaces named",
            ExitCode.usage,
            "ambient-migrate rollback NS... (or -n NS); each is rolled back from its own journal",
          );
        const toStep = Number(flags.toStep);
        if (!Number.isInteger(toStep) || toStep < 0 || toStep > LAST_STEP)
          throw new AmbientMigrateError(
            `--to-step ${flags.toStep} is not a step (0..${LAST_STEP})`,
            ExitCode.usage,
          );
        const timeoutMs = parseTimeout(flags.timeout);
        const port = await clusterPortFor(options, note);
        if (
          !(await confirm(
            `roll back ${namespaces.join(", ")} to after step ${toStep} on ${port.context}?`,
            flags.yes === true,
          ))
        ) {
          note("nothing changed");
          process.exitCode = ExitCode.usage;
          return;
        }
        if (liveTreeWanted(io, options.output))
          view.draw(
            new LiveTree(
              io.err,
              styleFor(io, "err", options.color),
              false,
              (step) => `undo: ${isStepNumber(step) ? STEPS[step - 1]?.title : "changes"}`,
            ),
          );
        view.start();
        // As migrate: the undos' kubectl equivalents on stdout (-o table), always in the log; with
        // --log or the live tree the terminal shows one line per change instead.
        const terse = flags.log !== undefined || view.live;
        const screenOut = options.output === "table" ? (l: string) => io.out.write(`${l}\n`) : screen;
        const toStdout = terse
          ? (l: string) => log?.write("kubectl", l)
          : (l: string) => {
              screenOut(l);
              log?.write("kubectl", l);
            };
        const events = view.events({
          ...(options.output === "json" ? { json: io.out } : {}),
          ...(log ? { log } : {}),
          terse,
          say: note,
        });
        const rows: ({ namespace: string } & RollbackResult)[] = [];
        const holder = newHolderIdentity();
        for (const namespace of namespaces) {
          if (namespaces.length > 1 && !view.live) note(`== ${namespace}`);
          const result = await withInterruption(note, (signal) =>
            rollbackNamespace(port, namespace, {
              toStep,
              backupDir: flags.backupDir,
              overwrite: flags.overwrite === true,
              timeoutMs,
              holder,
              signal,
              out: toStdout,
              progress: view.progress(namespace, note, log),
              events,
            }),
          );
          rows.push({ namespace, ...result });
        }
        view.stop();
        if (options.output === "json") {
          const summary: SummaryEvent = {
            time: new Date().toISOString(),
            event: "summary",
            phase: "finished",
            exitCode: 0,
            namespaces: rows.map((r) => ({ namespace: r.namespace, result: "rolled-back" })),
          };
          log?.event(summary);
          io.out.write(eventLine(summary));
          return;
        }
        io.out.write(
          options.output === "table"
            ? table(
                ["namespace", "rolled back to", "changes undone", "left alone"],
                rows.map((r) => [
                  r.namespace,
                  `after step ${r.toStep}`,
                  String(r.undone),
                  r.skipped.join(" ") || "-",
                ]),
              )
            : structured(namespaces.length === 1 ? rows[0] : { namespaces: rows }, options.output),
        );
      });
    });
}
