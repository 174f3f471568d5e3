// `ambient-migrate plan`: the six steps for each selected namespace, as text to follow by hand
// or as data (-o json|yaml) for scripts and for `migrate`.

import { Command, Option } from "commander";
import { addAnalysisFlags } from "../analysis-flags.js";
import { withPlanFlags } from "../plan-flags.js";
import { addPrometheusFlags } from "../prometheus-flags.js";
import type { IOStreams } from "../streams.js";
import { lazyAction } from "./lazy.js";

export function planCommand(io: IOStreams): Command {
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
    .action(lazyAction(io, () => import("../actions/plan.js")));
}
