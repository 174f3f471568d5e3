// `ambient-migrate backup -n NS... [--out FILE]`: the verified backup the migration takes before
// step 5, available on its own so that people can take (and inspect) one whenever they like.

import { Command } from "commander";
import type { IOStreams } from "../streams.js";
import { lazyAction } from "./lazy.js";

export function backupCommand(io: IOStreams): Command {
  return new Command("backup")
    .description(
      "save every Istio, Gateway API and related object of the namespaces (plus the Namespace and its Services) " +
        "as YAML that `kubectl apply -f` re-creates, read back and checked before it is reported written",
    )
    .option(
      "--out <file>",
      "one file for all the namespaces (default: ./ambient-migrate-backup/<namespace>-<time>.yaml each)",
    )
    .action(lazyAction(io, () => import("../actions/backup.js")));
}
