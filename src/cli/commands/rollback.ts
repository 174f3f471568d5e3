// `ambient-migrate rollback NS... [--to-step N]`: undoes what `migrate` recorded in the namespace's
// journal, newest first, with the exact values it replaced; restarted workloads are restarted
// again once injection is back, and must show their sidecars before the rollback reports done.

import { Command } from "commander";
import { DEFAULT_GATE_TIMEOUT } from "../../run/session.js";
import type { IOStreams } from "../streams.js";
import { lazyAction } from "./lazy.js";

export function rollbackCommand(io: IOStreams): Command {
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
    .action(lazyAction(io, () => import("../actions/rollback.js")));
}
