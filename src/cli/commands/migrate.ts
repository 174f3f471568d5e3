// `ambient-migrate migrate -n NS...`: runs each namespace's plan on the live cluster, one
// namespace at a time, stopping at the first failure; or N at once with --parallel N, in waves
// with --waves (one that fails does not stop the others of its wave). The plan is built from a
// fresh read of the cluster; the journal in each namespace makes a second run resume (or do nothing).

import { Command, InvalidArgumentError, Option } from "commander";
import { isStepNumber, LAST_STEP, STEPS, type StepNumber, stepNumber } from "../../plan/steps.js";
import { DEFAULT_GATE_TIMEOUT } from "../../run/session.js";
import { addAnalysisFlags } from "../analysis-flags.js";
import { withPlanFlags } from "../plan-flags.js";
import type { IOStreams } from "../streams.js";
import { lazyAction } from "./lazy.js";

function parseParallel(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError("a whole number of namespaces, 1 or more");
  return n;
}

function parseStep(value: string): StepNumber {
  const n = Number(value);
  if (!isStepNumber(n))
    throw new InvalidArgumentError(
      `a step number from 1 to ${LAST_STEP} (${STEPS.map((s, i) => `${i + 1} ${s.id}`).join(", ")})`,
    );
  return n;
}

export function migrateCommand(io: IOStreams): Command {
  const base = new Command("migrate")
    .description(
      "migrate namespaces to ambient mode on the live cluster: the six steps of the plan, each change " +
        "journalled in the namespace and each step verified before the next; resumable and reversible",
    )
    .argument("[namespace...]", "namespaces to migrate (as -n NS)")
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .addOption(
      new Option("--dry-run <mode>", "client: print the changes; server: send them with server-side dry run")
        .choices(["none", "client", "server"])
        .default("none"),
    )
    .option("--timeout <duration>", "how long each verification gate may take", DEFAULT_GATE_TIMEOUT)
    .option(
      "--backup-dir <dir>",
      `where step ${stepNumber("remove-sidecar-config")} writes its backup`,
      "ambient-migrate-backup",
    );
  return addAnalysisFlags(withPlanFlags(base), true)
    .addOption(
      new Option(
        "--to-step <n>",
        "stop after step N (journalled: status shows it, a later migrate goes on from there)",
      ).argParser(parseStep),
    )
    .option(
      "--waves",
      "migrate in waves (see plan --waves): callers before the namespaces they call, a wave only once the one before it is done; with --prometheus, also by the traffic it observed",
    )
    .addOption(
      new Option(
        "--parallel <n>",
        "migrate up to N namespaces at once (with --waves: of a wave), each under its own lock; one that " +
          "fails does not stop the others, the summary gives each namespace's result, and the exit code " +
          "is that of the first namespace that failed (9 verification, 10 lock held...)",
      )
        .argParser(parseParallel)
        .default(1),
    )
    .option("--window <duration>", "with --waves --prometheus: how far back to look at traffic", "7d")
    .option(
      "--verify-only",
      "change nothing: check that steps 1..N (--step N) are in place on the cluster and run step N's verification gates (exit 0, or 9); for a pipeline after each GitOps sync",
    )
    .addOption(new Option("--step <n>", "with --verify-only: the step to verify").argParser(parseStep))
    .option(
      "--log <file>",
      "write everything the run says to FILE, timestamped and uncoloured (progress, each change's kubectl equivalent with its manifest, every event); the terminal then shows one line per change. Default: a new migrate-<time>.log in --backup-dir (its path is printed)",
    )
    .option(
      "--allow-gitops-drift",
      "change namespaces and objects that Argo CD, Flux or Helm manage (finding gitops-managed) even though their owner puts the changes back; suspend its sync first",
    )
    .addHelpText(
      "after",
      `
With --analysis FILE or --slo default, a baseline is taken before step 1 and an analysis runs on
Prometheus after each gated step: a failure stops with exit 9 (onFailure: pause; a later migrate
resumes and runs it again) or rolls the namespace back and runs the analysis again (rollback).
No data or a query error is inconclusive: it stops the run too, and never passes (docs/analysis.md).
  ambient-migrate migrate shop --slo default --prometheus http://127.0.0.1:9090 --on-failure rollback
  ambient-migrate plan -n shop --slo default        # every default query, per Service

Objects that Argo CD, Flux or Helm manage (assess: gitops-managed) are not changed: migrate exits
with code 2 and lists them, because their owner puts the injection label back, re-creates deleted
VirtualServices and reverts patched templates. Commit the steps instead (plan --output-dir DIR, then
migrate --verify-only -n NS --step N after each sync), or suspend the sync and pass --allow-gitops-drift.

--verify-only -n NS --step N writes nothing (no lock, no journal): it checks that what steps 1..N
change is on the cluster (labels, pod template keys, objects added, objects deleted), then waits up to
--timeout for step N's gates (step 4 also until no pod runs a sidecar). Exit 0: step N is done; 9: not.
  ambient-migrate migrate --verify-only -n shop --step 3 --timeout 10m

Output: -o table prints each change's kubectl equivalent and a result per namespace; -o json streams
one JSON event per line (NDJSON) as the run goes: namespace, step and gate started / waiting /
passed / failed, change applied or skipped, journal written, and last a summary of every
namespace's result and the exit code (schema: docs/events.schema.json); -o yaml prints the
results at the end. Progress goes to stderr: on a terminal, a live tree of each namespace, step,
change and gate (spinner, elapsed time, ✓/✗ and why), one line per change; the manifests go to
the log (--log, else beside the backup). Ctrl-C finishes the current change, records the
interruption in the journal and exits 130; migrate again resumes.

  ambient-migrate migrate -n a,b,c,d --parallel 4 --yes     # 4 at once; one failing stops no other
  ambient-migrate migrate -n a,b,c --waves --parallel 2     # callers first, 2 of a wave at once`,
    )
    .action(lazyAction(io, () => import("../actions/migrate.js")));
}
