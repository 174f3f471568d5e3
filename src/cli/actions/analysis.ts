// The analysis that migrate's flags ask for (the flags themselves: ../analysis-flags.ts).

import { analysisFrom, readAnalysisFile } from "../../analysis/load.js";
import { type Analysis, DEFAULT_SLO } from "../../analysis/model.js";
import { AmbientMigrateError, ExitCode } from "../../errors.js";
import type { AnalysisFlags } from "../analysis-flags.js";
import { prometheusConnection } from "../prometheus-flags.js";

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
