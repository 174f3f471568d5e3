// The flags that attach an analysis to migrate (and show the default SLO's queries in plan):
// --analysis FILE, --slo default, --prometheus URL, --on-failure pause|rollback.

import { type Command, Option } from "commander";
import type { OnFailure } from "../analysis/model.js";
import { addPrometheusFlags, type PrometheusFlags } from "./prometheus-flags.js";

export interface AnalysisFlags extends PrometheusFlags {
  analysis?: string;
  slo?: "default";
  onFailure?: OnFailure;
}

export function addAnalysisFlags(command: Command, withFile: boolean): Command {
  if (withFile)
    command.option(
      "--analysis <file>",
      "after the gated steps (default 1, 2, 4, 5), run this analysis on Prometheus and stop (or roll back) unless it passes; format: docs/analysis.md",
    );
  command.addOption(
    new Option(
      "--slo <preset>",
      'the reporter-agnostic default SLO per Service: success rate and p99 latency from L7 series (reporter=~"destination|waypoint"), TCP failures for Services without a waypoint',
    ).choices(["default"]),
  );
  if (withFile) {
    command.option(
      "--prometheus <url>",
      "Prometheus for --slo default (overrides the analysis file's address; the --prometheus-* flags override its TLS and token)",
    );
    addPrometheusFlags(command);
    command.addOption(
      new Option(
        "--on-failure <action>",
        "what a failed analysis does (overrides the file's onFailure; default pause)",
      ).choices(["pause", "rollback"]),
    );
  }
  return command;
}
