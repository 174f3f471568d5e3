// `ambient-migrate plan`: the six steps for each selected namespace, as text to follow by hand
// or as data (-o json|yaml) for scripts and for `migrate`.

import { Command, Option } from "commander";
import { checksFor } from "../../analysis/checks.js";
import { defaultSloAnalysis } from "../../analysis/load.js";
import { describeChecks } from "../../analysis/render.js";
import { serviceTargets } from "../../analysis/targets.js";
import { ExitCode } from "../../errors.js";
import { type CommitFormat, planCommits } from "../../gitops/commits.js";
import { writeFilesInto } from "../../output-files.js";
import { planNamespaces } from "../../plan/build.js";
import { renderPlanText } from "../../plan/render-text.js";
import { observedTraffic, renderWaves, wavesOf } from "../../waves/waves.js";
import { addAnalysisFlags } from "../analysis-flags.js";
import { globalOptions, loadMesh } from "../context.js";
import { structured } from "../output.js";
import { planOptionsOf, withPlanFlags } from "../plan-flags.js";
import { addPrometheusFlags, type PrometheusFlags, prometheusConnection } from "../prometheus-flags.js";
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

export function planCommand(io: IOStreams): Command {
  const note = noteTo(io);
  const command = withPlanFlags(
    new Command("plan")
      .description("plan each namespace's six migration steps: changes, checks, kubectl lines and rollback")
      .option("--fail-on-blocked", "exit with code 3 when any selected namespace is blocked"),
  )
    .option(
      "--waves",
      "order the namespaces into migration waves: callers before the namespaces they call, namespaces that call each other together",
    )
    .option(
      "--prometheus <url>",
      "also learn who calls whom from traffic Prometheus observed (istio_requests_total, istio_tcp_*)",
    )
    .option("--window <duration>", "how far back --prometheus looks (a Prometheus duration)", "7d")
    .option(
      "--output-dir <dir>",
      "also write the plan as commits: per wave, namespace and step, the objects to add, the patches, the objects to delete and a README with the verify command",
    )
    .addOption(
      new Option(
        "--format <format>",
        "with --output-dir: files (add/, patches/, delete.yaml) or kustomize (the same, plus a kustomization.yaml per step building on the step before)",
      )
        .choices(["files", "kustomize"])
        .default("files"),
    )
    .option(
      "--overwrite",
      "with --output-dir: replace files that exist (without it: exit 2, nothing written)",
    );
  return addAnalysisFlags(addPrometheusFlags(command), false)
    .addHelpText(
      "after",
      `
Step 1 first applies the translated objects (see ambient-migrate translate). A namespace where some
source cannot be translated faithfully is blocked unless --accept-translation-losses.
The JSON/YAML schema is documented in docs/plan-schema.md.

--waves builds the namespace call graph from AuthorizationPolicy sources, routes, ServiceEntries,
Sidecar egress hosts and, with --prometheus, observed traffic; -o json then adds
{"waves":[{"wave":1,"namespaces":[...],"why":[...]}, ...]} before "namespaces".
  ambient-migrate plan -A --waves --prometheus http://127.0.0.1:9090 --window 7d

--output-dir DIR writes the plan as commits for a GitOps repository, DIR/wave-W/NS/step-N-ID/ with
add/ (objects to add), patches/ (merge patches: label changes, pod template changes, the restart
stamp), delete.yaml (objects to delete: kubectl delete -f delete.yaml) and README.md (what the step
does and its verify command). --format kustomize adds DIR/wave-W/NS/base/ (the objects the steps
patch) and a kustomization.yaml per step that builds on the step before: kubectl apply -k it.
After each sync: ambient-migrate migrate --verify-only -n NS --step N (exit 0, or 9).
  ambient-migrate plan -f manifests/ -A --output-dir migration/ --format kustomize

--slo default lists, per namespace, every check of the default SLO that migrate --slo default runs
(the query, its condition, the steps it is judged after, and which telemetry each Service has);
-o json then adds {"analysis":[{"namespace":..., "checks":[...]}]} (docs/analysis.md).`,
    )
    .action(async (options: PlanFlags, command: Command) => {
      const global = globalOptions(command);
      const loaded = await loadMesh(global, note);
      note(loaded.summary);
      const connection = prometheusConnection(options);
      const observed = await observedTraffic({ window: options.window, prometheus: connection }, note);
      const plan = planNamespaces(loaded.inventory, loaded.namespaces, {
        ...planOptionsOf(options),
        observed,
      });
      const waves = options.waves ? wavesOf(loaded.inventory, plan, observed) : undefined;
      if (options.outputDir) {
        const planFlags = Object.entries(planOptionsOf(options)).map(([key, value]) => {
          const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
          return value === true ? flag : `${flag} ${String(value)}`;
        });
        const files = planCommits(
          loaded.inventory,
          plan,
          waves ?? wavesOf(loaded.inventory, plan, observed),
          {
            format: options.format,
            now: new Date(),
            planFlags,
          },
        );
        const written = writeFilesInto(options.outputDir, files, {
          overwrite: options.overwrite === true,
          flag: "--output-dir",
        });
        note(
          `wrote ${written.length} file(s) to ${options.outputDir} (format ${options.format}); start with its README.md`,
        );
      }
      const slo = options.slo
        ? defaultSloAnalysis(options.prometheus ?? "http://prometheus:9090")
        : undefined;
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
          structured(
            { ...(waves ? { waves } : {}), ...plan, ...(analysis ? { analysis } : {}) },
            global.output,
          ),
        );
      if (options.failOnBlocked && plan.namespaces.some((n) => n.blocked))
        process.exitCode = ExitCode.blockersFound;
    });
}
