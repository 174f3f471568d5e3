// What `ambient-migrate controller` does (its flags and help: commands/controller.ts).

import type { Command } from "commander";
import { prerequisiteMissing } from "../../cluster/errors.js";
import { runController } from "../../controller/controller.js";
import { LeaderElector, leaseStore } from "../../controller/leader.js";
import { FIELD_MANAGER, Reconciler } from "../../controller/reconcile.js";
import { GROUP, MIGRATION_KIND, VERSION } from "../../controller/resource.js";
import { AmbientMigrateError, ExitCode } from "../../errors.js";
import { newHolderIdentity } from "../../run/lock.js";
import { parseTimeout, withInterruption } from "../../run/session.js";
import { parseDurationMs } from "../../translate/durations.js";
import { clusterPortFor } from "../cluster-loader.js";
import { globalOptions } from "../context.js";
import { planOptionsOf } from "../plan-flags.js";
import { type IOStreams, noteTo } from "../streams.js";

interface ControllerFlags {
  leaseName: string;
  leaseNamespace?: string;
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
  identity?: string;
  workers: number;
  watchSelector?: string;
  backupDir: string;
  timeout: string;
}

function duration(text: string, flag: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined || ms <= 0)
    throw new AmbientMigrateError(`${flag} ${text} is not a duration`, ExitCode.usage, "e.g. 15s or 1m");
  return ms;
}

export async function action(io: IOStreams, flags: ControllerFlags, command: Command): Promise<void> {
  const note = noteTo(io);
  const options = globalOptions(command);
  const leaseDurationMs = duration(flags.leaseDuration, "--lease-duration");
  const renewDeadlineMs = duration(flags.renewDeadline, "--renew-deadline");
  const retryPeriodMs = duration(flags.retryPeriod, "--retry-period");
  if (!(retryPeriodMs < renewDeadlineMs && renewDeadlineMs < leaseDurationMs))
    throw new AmbientMigrateError(
      "--retry-period < --renew-deadline < --lease-duration does not hold",
      ExitCode.usage,
      "e.g. --lease-duration 15s --renew-deadline 10s --retry-period 2s",
    );
  const timeoutMs = parseTimeout(flags.timeout);
  const identity = flags.identity ?? newHolderIdentity();
  const leaseNamespace = flags.leaseNamespace ?? (process.env.POD_NAMESPACE || "istio-system");
  const log = (line: string) => note(`${new Date().toISOString()} ${line}`);
  const port = await clusterPortFor(options, note);
  if (!(await port.hasResource(GROUP, VERSION, MIGRATION_KIND.plural)))
    throw prerequisiteMissing(
      `the cluster does not serve ${MIGRATION_KIND.kind} (${GROUP}/${VERSION})`,
      "install the CRD: kubectl apply -f deploy/controller/crd.yaml (or kubectl apply -k deploy/controller)",
    );
  const reconciler = new Reconciler({
    port,
    holder: identity,
    backupDir: flags.backupDir,
    timeoutMs,
    toolVersion: command.parent?.version() ?? "unknown",
    // The spec's option names are the CLI's flags: one builder for both.
    planOptions: (spec) => planOptionsOf(spec),
    log,
  });
  const elector = new LeaderElector({
    identity,
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    store: leaseStore(port, leaseNamespace, flags.leaseName, FIELD_MANAGER),
    log,
  });
  log(`controller ${identity}: campaigning on Lease ${leaseNamespace}/${flags.leaseName}`);
  let failure: unknown;
  await withInterruption(log, async (signal) => {
    const stop = new AbortController();
    await elector.run(AbortSignal.any([signal, stop.signal]), (leading) =>
      runController(
        {
          port,
          reconciler,
          workers: flags.workers,
          ...(flags.watchSelector ? { selector: flags.watchSelector } : {}),
          log,
        },
        leading,
      ).catch((err) => {
        failure = err;
        stop.abort(err);
      }),
    );
  });
  if (failure) throw failure;
  log(`controller ${identity}: stopped`);
}
