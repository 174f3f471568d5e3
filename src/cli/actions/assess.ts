// What `ambient-migrate assess` does (its flags and help: commands/assess.ts).

import type { Command } from "commander";
import { type Assessment, assess } from "../../assess/assess.js";
import { ExitCode } from "../../errors.js";
import { observedTraffic } from "../../waves/waves.js";
import { globalOptions, loadMesh } from "../context.js";
import { escapeControls, structured, tableLines, writeAll } from "../output.js";
import { type PrometheusFlags, prometheusConnection } from "../prometheus-flags.js";
import { type IOStreams, noteTo } from "../streams.js";

export async function action(
  io: IOStreams,
  flags: PrometheusFlags & { window: string },
  command: Command,
): Promise<void> {
  const note = noteTo(io);
  const options = globalOptions(command);
  const loaded = await loadMesh(options, note);
  note(loaded.summary);
  const observed = await observedTraffic(
    { window: flags.window, prometheus: prometheusConnection(flags) },
    note,
  );
  const assessment = assess(loaded.inventory, loaded.namespaces, { observed });
  if (options.output === "table") writeAll(io.out, renderAssessment(assessment));
  else io.out.write(structured(assessmentDocument(assessment), options.output));
  if (assessment.findings.some((f) => f.severity === "blocker")) process.exitCode = ExitCode.blockersFound;
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

/** The findings table, the remedies and a line per namespace, in pieces to write as they come. */
function* renderAssessment(assessment: Assessment): Generator<string> {
  const rows = assessment.findings.map((f) => [
    f.namespace,
    f.severity,
    f.code,
    `${f.kind}/${f.name}`,
    f.message,
  ]);
  yield* tableLines(["namespace", "severity", "code", "object", "message"], rows);
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
  if (remedies.length > 0) {
    yield "\nRemedies:\n";
    for (const remedy of remedies) yield `${remedy}\n`;
  }
  yield "\n";
  for (const n of assessment.namespaces)
    yield `${escapeControls(n.namespace)}: ${n.blocked ? "BLOCKED" : "ok"}, ${n.counts.blocker} blocker(s), ${n.counts.warning} warning(s), ${n.counts.info} info; ${n.state.summary}\n`;
}
