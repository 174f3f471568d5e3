// `ambient-migrate plan`: the six steps for each selected namespace, as text to follow by hand
// or as data (-o json|yaml) for scripts and for `migrate`.

import { Command } from "commander";
import { checksFor } from "../../analysis/checks.js";
import { defaultSloAnalysis } from "../../analysis/load.js";
import { describeChecks } from "../../analysis/render.js";
import { serviceTargets } from "../../analysis/targets.js";
import { ExitCode } from "../../errors.js";
import { planNamespaces } from "../../plan/build.js";
import { renderPlanText } from "../../plan/render-text.js";
import { observedTraffic, renderWaves, wavesOf } from "../../waves/waves.js";
import { addAnalysisFlags } from "../analysis-flags.js";
import { globalOptions, loadMesh } from "../context.js";
import { structured } from "../output.js";
import { planOptionsOf, withPlanFlags } from "../plan-flags.js";
import { type IOStreams, noteTo } from "../streams.js";

interface PlanFlags {
  failOnBlocked?: boolean;
  waves?: boolean;
  prometheus?: string;
  window: string;
  slo?: "default";
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
    .option("--window <duration>", "how far back --prometheus looks (a Prometheus duration)", "7d");
  return addAnalysisFlags(command, false)
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

--slo default lists, per namespace, every check of the default SLO that migrate --slo default runs
(the query, its condition, the steps it is judged after, and which telemetry each Service has);
-o json then adds {"analysis":[{"namespace":..., "checks":[...]}]} (docs/analysis.md).`,
    )
    .action(async (options: PlanFlags, command: Command) => {
      const global = globalOptions(command);
      const loaded = await loadMesh(global, note);
      note(loaded.summary);
      const observed = await observedTraffic(options, note);
      const plan = planNamespaces(loaded.inventory, loaded.namespaces, {
        ...planOptionsOf(options),
        observed,
      });
      const waves = options.waves ? wavesOf(loaded.inventory, plan, observed) : undefined;
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
