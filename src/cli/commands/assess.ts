// `ambient-migrate assess`: what blocks or complicates migrating each selected namespace.

import { Command } from "commander";
import { addPrometheusFlags } from "../prometheus-flags.js";
import type { IOStreams } from "../streams.js";
import { lazyAction } from "./lazy.js";

export function assessCommand(io: IOStreams): Command {
  const command = new Command("assess")
    .description("find what blocks or complicates moving each namespace to ambient mode")
    .addHelpText(
      "after",
      "\nExit code 3 when any blocker is found. Finding codes are documented in docs/findings.md.",
    )
    .option(
      "--prometheus <url>",
      "also learn which namespaces call which from traffic Prometheus observed (for sidecar-callers-bypass-waypoint)",
    )
    .option("--window <duration>", "how far back --prometheus looks (a Prometheus duration)", "7d");
  return addPrometheusFlags(command).action(lazyAction(io, () => import("../actions/assess.js")));
}
