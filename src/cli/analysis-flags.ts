// The flags that attach an analysis to migrate (and show the default SLO's queries in plan):
// --analysis FILE, --slo default, --prometheus URL, --on-failure pause|rollback.

import { type Command, Option } from "commander";
import { analysisFrom, readAnalysisFile } from "../analysis/load.js";
import { type Analysis, DEFAULT_SLO, type OnFailure } from "../analysis/model.js";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { addPrometheusFlags, type PrometheusFlags, prometheusConnection } from "./prometheus-flags.js";

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

/** The analysis the flags ask for, or undefined. */
export function analysisFromFlags(flags: AnalysisFlags): Analysis | undefined {
  if (!flags.analysis && !flags.slo) {
    if (flags.prometheus || flags.onFailure)
      throw new AmbientMigrateError(
        "--prometheus and --on-failure go with --analysis FILE or --slo default",
        ExitCode.usage,
      );
    return undefined;
  }
  let analysis: Analysis;
  if (flags.analysis) {
    analysis = readAnalysisFile(flags.analysis);
    if (flags.slo && !analysis.defaultSlo) analysis = { ...analysis, defaultSlo: DEFAULT_SLO };
    analysis = {
      ...analysis,
      prometheus: prometheusConnection(flags, analysis.prometheus) ?? analysis.prometheus,
    };
  } else {
    if (!flags.prometheus)
      throw new AmbientMigrateError(
        "--slo default needs --prometheus URL",
        ExitCode.usage,
        "e.g. --prometheus http://127.0.0.1:9090 after kubectl -n istio-system port-forward svc/prometheus 9090",
      );
    analysis = analysisFrom(
      {
        apiVersion: "ambient-migrate.io/v1alpha1",
        kind: "Analysis",
        prometheus: { address: flags.prometheus },
        defaultSlo: {},
      },
      "--slo default",
    );
    analysis = { ...analysis, prometheus: prometheusConnection(flags) ?? analysis.prometheus };
  }
  return flags.onFailure ? { ...analysis, onFailure: flags.onFailure } : analysis;
}
