// `ambient-migrate assess`: what blocks or complicates migrating each selected namespace.

import { Command } from "commander";
import { type Assessment, assess } from "../../assess/assess.js";
import { ExitCode } from "../../errors.js";
import { observedTraffic } from "../../waves/waves.js";
import { globalOptions, loadMesh } from "../context.js";
import { escapeControls, structured, table } from "../output.js";
import { addPrometheusFlags, type PrometheusFlags, prometheusConnection } from "../prometheus-flags.js";
import { type IOStreams, noteTo } from "../streams.js";

export function assessCommand(io: IOStreams): Command {
  const note = noteTo(io);
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
  return addPrometheusFlags(command).action(
    (flags: PrometheusFlags & { window: string }, command: Command) => {
      const options = globalOptions(command);
      return loadMesh(options, note).then(async (loaded) => {
        note(loaded.summary);
        const observed = await observedTraffic(
          { window: flags.window, prometheus: prometheusConnection(flags) },
          note,
        );
        const assessment = assess(loaded.inventory, loaded.namespaces, { observed });
        io.out.write(
          options.output === "table"
            ? renderAssessment(assessment)
            : structured(assessmentDocument(assessment), options.output),
        );
        if (assessment.findings.some((f) => f.severity === "blocker"))
          process.exitCode = ExitCode.blockersFound;
      });
    },
  );
}

/** The `-o json|yaml` document: findings, then a summary per namespace. */
function assessmentDocument(assessment: Assessment) {
  const totals = { blocker: 0, warning: 0, info: 0 };
  for (const f of assessment.findings) totals[f.severity]++;
  return {
    findings: assessment.findings,
    summary: {
      namespaces: assessment.namespaces.length,
      blockers: totals.blocker,
      warnings: totals.warning,
      infos: totals.info,
      blockedNamespaces: assessment.namespaces.filter((n) => n.blocked).map((n) => n.namespace),
      byNamespace: assessment.namespaces.map((n) => ({
        namespace: n.namespace,
        state: n.state.summary,
        blocked: n.blocked,
        blockers: n.counts.blocker,
        warnings: n.counts.warning,
        infos: n.counts.info,
        waypoint: { name: n.waypoint.name, exists: n.waypoint.exists, needed: n.waypoint.reasons.length > 0 },
      })),
    },
  };
}

function renderAssessment(assessment: Assessment): string {
  const rows = assessment.findings.map((f) => [
    f.namespace,
    f.severity,
    f.code,
    `${f.kind}/${f.name}`,
    f.message,
  ]);
  const parts = [table(["namespace", "severity", "code", "object", "message"], rows)];
  const remedies = [
    ...new Set(
      assessment.findings
        .filter((f) => f.severity !== "info")
        .map(
          (f) =>
            `  ${escapeControls(`${f.namespace} ${f.kind}/${f.name}`)} [${f.code}]: ${f.remedy}${f.origin ? ` (${escapeControls(f.origin)})` : ""}`,
        ),
    ),
  ];
  if (remedies.length > 0) parts.push(`\nRemedies:\n${remedies.join("\n")}\n`);
  parts.push(
    `\n${assessment.namespaces
      .map(
        (n) =>
          `${escapeControls(n.namespace)}: ${n.blocked ? "BLOCKED" : "ok"}, ${n.counts.blocker} blocker(s), ${n.counts.warning} warning(s), ${n.counts.info} info; ${n.state.summary}`,
      )
      .join("\n")}\n`,
  );
  return parts.join("");
}
