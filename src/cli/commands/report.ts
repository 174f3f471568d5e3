// `ambient-migrate report`: one page to look at and share before signing off a migration: the
// namespaces by state, what blocks them, each namespace's six steps, translations and journal.

import { Command } from "commander";
import { buildReport } from "../../report/data.js";
import { renderReportHtml } from "../../report/html.js";
import { globalOptions, loadMesh, note } from "../context.js";
import { structured } from "../output.js";

interface ReportFlags {
  acceptTranslationLosses?: boolean;
  bypassDeny?: boolean;
  patchForcedInjection?: boolean;
  rootNamespace: string;
}

export function reportCommand(): Command {
  return new Command("report")
    .description(
      "write a self-contained HTML report of the migration (-o html), from files or a live cluster",
    )
    .option(
      "--accept-translation-losses",
      "plan namespaces whose translation loses something, as `plan --accept-translation-losses`",
    )
    .option("--bypass-deny", "plan the waypoint-bypass DENY policies, as `plan --bypass-deny`")
    .option(
      "--patch-forced-injection",
      "plan step 3's pod template patches, as `plan --patch-forced-injection`",
    )
    .option("--root-namespace <ns>", "Istio's root namespace", "istio-system")
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
    .action(async (flags: ReportFlags, command: Command) => {
      const global = globalOptions(command, { html: true });
      const loaded = await loadMesh(global);
      note(loaded.summary);
      const data = buildReport(loaded.inventory, loaded.namespaces, {
        acceptTranslationLosses: flags.acceptTranslationLosses === true,
        bypassDeny: flags.bypassDeny === true,
        patchForcedInjection: flags.patchForcedInjection === true,
        rootNamespace: flags.rootNamespace,
      });
      process.stdout.write(
        global.output === "table" ? renderReportHtml(data) : structured(data, global.output),
      );
    });
}
