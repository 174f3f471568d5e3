// What `ambient-migrate plan` does (its flags and help: commands/plan.ts).

import type { Command } from "commander";
import { checksFor } from "../../analysis/checks.js";
import { defaultSloAnalysis } from "../../analysis/load.js";
import { describeChecks } from "../../analysis/render.js";
import { serviceTargets } from "../../analysis/targets.js";
import { ExitCode } from "../../errors.js";
import { type CommitFormat, planCommits } from "../../gitops/commits.js";
import { writeFilesInto } from "../../output-files.js";
import { planNamespaces, planNamespacesStreamed } from "../../plan/build.js";
import type { NamespacePlan } from "../../plan/model.js";
import { planTextChunks, renderPlanText } from "../../plan/render-text.js";
import { observedTraffic, renderWaves, wavesOf } from "../../waves/waves.js";
import { globalOptions, loadMesh } from "../context.js";
import { structured } from "../output.js";
import { planOptionsOf } from "../plan-flags.js";
import { type PrometheusFlags, prometheusConnection } from "../prometheus-flags.js";
import { type IOStreams, noteTo } from "../streams.js";

interface PlanFlags extends PrometheusFlags {
  failOnBlocked?: boolean;
  waves?: boolean;
  prometheus?: string;
  window: string;
  slo?: "default";
  outputDir?: string;
  format: CommitFormat;
  overwrite?: boolean;
}

export async function action(io: IOStreams, options: PlanFlags, command: Command): Promise<void> {
  const note = noteTo(io);
  const global = globalOptions(command);
  const loaded = await loadMesh(global, note);
  note(loaded.summary);
  const connection = prometheusConnection(options);
  const observed = await observedTraffic({ window: options.window, prometheus: connection }, note);
  const planOptions = { ...planOptionsOf(options), observed };
  const slo = options.slo ? defaultSloAnalysis(options.prometheus ?? "http://prometheus:9090") : undefined;
  // The common case, a text plan and nothing else: each namespace is planned and written in
  // turn, so that a plan of tens of thousands of namespaces never sits in memory whole.
  if (global.output === "table" && !options.waves && !options.outputDir && !slo) {
    const streamed = planNamespacesStreamed(loaded.inventory, loaded.namespaces, planOptions);
    let blocked = false;
    const noteBlocked = function* (plans: Iterable<NamespacePlan>) {
      for (const p of plans) {
        blocked ||= p.blocked;
        yield p;
      }
    };
    for (const chunk of planTextChunks({ ...streamed, namespaces: noteBlocked(streamed.namespaces) }))
      io.out.write(chunk);
    if (options.failOnBlocked && blocked) process.exitCode = ExitCode.blockersFound;
    return;
  }
  const plan = planNamespaces(loaded.inventory, loaded.namespaces, planOptions);
  const waves = options.waves ? wavesOf(loaded.inventory, plan, observed) : undefined;
  if (options.outputDir) {
    const planFlags = Object.entries(planOptionsOf(options)).map(([key, value]) => {
      const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      return value === true ? flag : `${flag} ${String(value)}`;
    });
    const files = planCommits(loaded.inventory, plan, waves ?? wavesOf(loaded.inventory, plan, observed), {
      format: options.format,
      now: new Date(),
      planFlags,
    });
    const written = writeFilesInto(options.outputDir, files, {
      overwrite: options.overwrite === true,
      flag: "--output-dir",
    });
    note(
      `wrote ${written.length} file(s) to ${options.outputDir} (format ${options.format}); start with its README.md`,
    );
  }
  const analysis = slo
    ? plan.namespaces.map((p) => ({
        namespace: p.namespace,
        checks: checksFor(slo, p.namespace, serviceTargets(loaded.inventory, p)),
      }))
    : undefined;
  const sloText =
    slo && analysis
      ? `\n${analysis.flatMap((a) => [...describeChecks(slo, a.namespace, a.checks), ""]).join("\n")}`
      : "";
  if (global.output === "table")
    io.out.write((waves ? renderWaves(waves) : "") + renderPlanText(plan) + sloText);
  else
    io.out.write(
      structured({ ...(waves ? { waves } : {}), ...plan, ...(analysis ? { analysis } : {}) }, global.output),
    );
  if (options.failOnBlocked && plan.namespaces.some((n) => n.blocked))
    process.exitCode = ExitCode.blockersFound;
}
