// `ambient-migrate rollback NS... [--to-step N]`: undoes what `migrate` recorded in the namespace's
// journal, newest first, with the exact values it replaced; restarted workloads are restarted
// again once injection is back, and must show their sidecars before the rollback reports done.

import { Command } from "commander";
import { AmbientMigrateError, ExitCode } from "../../errors.js";
import { LAST_STEP } from "../../plan/steps.js";
import { newHolderIdentity } from "../../run/lock.js";
import { type RollbackResult, rollbackNamespace } from "../../run/rollback.js";
import { confirm, DEFAULT_GATE_TIMEOUT, parseTimeout, withInterruption } from "../../run/session.js";
import { clusterPortFor } from "../cluster-loader.js";
import { globalOptions } from "../context.js";
import { structured, table } from "../output.js";
import { type IOStreams, noteTo } from "../streams.js";

interface RollbackFlags {
  toStep: string;
  overwrite?: boolean;
  yes?: boolean;
  timeout: string;
  backupDir: string;
}

export function rollbackCommand(io: IOStreams): Command {
  const note = noteTo(io);
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
    .action(async (args: string[], flags: RollbackFlags, command: Command) => {
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
      const toStdout = options.output === "table" ? (l: string) => io.out.write(`${l}\n`) : note;
      const rows: ({ namespace: string } & RollbackResult)[] = [];
      const holder = newHolderIdentity();
      for (const namespace of namespaces) {
        if (namespaces.length > 1) note(`== ${namespace}`);
        const result = await withInterruption(note, (signal) =>
          rollbackNamespace(port, namespace, {
            toStep,
            backupDir: flags.backupDir,
            overwrite: flags.overwrite === true,
            timeoutMs,
            holder,
            signal,
            out: toStdout,
            progress: note,
          }),
        );
        rows.push({ namespace, ...result });
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
}
