// `ambient-migrate report`: one page to look at and share before signing off a migration: the
// namespaces by state, what blocks them, each namespace's six steps, translations and journal.

import { Command } from "commander";
import { withPlanFlags } from "../plan-flags.js";
import type { IOStreams } from "../streams.js";
import { lazyAction } from "./lazy.js";

export function reportCommand(io: IOStreams): Command {
  return withPlanFlags(
    new Command("report").description(
      "write a self-contained HTML report of the migration (-o html), from files or a live cluster",
    ),
  )
    .addHelpText(
      "after",
      `
Output: -o html (the default for this command) writes one HTML file to stdout: inline CSS, script
and SVG charts, no external request; it opens offline and prints to PDF (every step expanded).
-o json|yaml writes the same data for scripts.

Contents: namespaces by state and blockers (charts), per-namespace findings with remedies, the six
steps with their kubectl equivalents, verifications and rollbacks, each translation side by side
with its report, observability changes, and on a live cluster each namespace's journal (who ran
it, when, which step, every change and gate).

Examples:
  ambient-migrate report -f examples/bookinfo-mesh -o html > report.html
  ambient-migrate report -A -o html > report.html          from the current kubeconfig context`,
    )
    .action(lazyAction(io, () => import("../actions/report.js")));
}
