// `ambient-migrate translate`: VirtualServices, DestinationRule subsets and selector policies
// of the selected namespaces -> ready-to-apply ambient objects on stdout (or one file per
// namespace), and the report of what was carried over, approximated or lost on stderr.

import { Command } from "commander";
import { withPlanFlags } from "../plan-flags.js";
import type { IOStreams } from "../streams.js";
import { lazyAction } from "./lazy.js";

export function translateCommand(io: IOStreams): Command {
  const base = new Command("translate")
    .description(
      "translate VirtualServices, DestinationRule subsets and selector policies into HTTPRoutes, Services and targetRefs policies",
    )
    .option(
      "--output-dir <dir>",
      "write one file per namespace (<ns>.yaml, and <ns>.after-restart.yaml) instead of stdout",
    )
    .option(
      "--overwrite",
      "replace files that already exist in --output-dir (without it: exit 2, nothing written)",
    )
    .option(
      "--report <file>",
      "write the report to a file (.json for JSON, otherwise YAML) instead of a table on stderr",
    );
  return withPlanFlags(base, ["bypassDeny", "rootNamespace"])
    .addHelpText(
      "after",
      `
Output: multi-document YAML (-o json: a v1 List), in apply order. The report says, per source
object, what each field became; see docs/translation-report.md.

Exit codes: 0 when the report has no error entry; 3 when some source could not be translated
faithfully (its error entries say why; such sources are never listed for deletion).`,
    )
    .action(lazyAction(io, () => import("../actions/translate.js")));
}
