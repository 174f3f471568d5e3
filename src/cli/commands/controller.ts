// `ambient-migrate controller`: runs in the cluster (deploy/controller) and reconciles
// AmbientMigration objects with the same executor, journal and locks as `migrate`; replicas elect
// one leader on a Lease and only the leader works. The logic is in src/controller/.

import { Command, InvalidArgumentError, Option } from "commander";
import { prerequisiteMissing } from "../../cluster/errors.js";
import { runController } from "../../controller/controller.js";
import { LeaderElector, leaseStore } from "../../controller/leader.js";
import { FIELD_MANAGER, Reconciler } from "../../controller/reconcile.js";
import { GROUP, MIGRATION_KIND, VERSION } from "../../controller/resource.js";
import { AmbientMigrateError, ExitCode } from "../../errors.js";
import { newHolderIdentity } from "../../run/lock.js";
import { DEFAULT_GATE_TIMEOUT, parseTimeout, withInterruption } from "../../run/session.js";
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

function parseWorkers(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("a whole number, 1 or more");
  return n;
}

export function controllerCommand(io: IOStreams): Command {
  const note = noteTo(io);
  return new Command("controller")
    .description(
      "run in the cluster: reconcile AmbientMigration objects (kubectl apply them) with migrate's own steps, journal and locks; replicas elect a leader on a Lease",
    )
    .option(
      "--lease-name <name>",
      "the Lease the replicas elect their leader on",
      "ambient-migrate-controller",
    )
    .option("--lease-namespace <ns>", "the Lease's namespace (default: $POD_NAMESPACE, else istio-system)")
    .option("--lease-duration <d>", "how long a leader that stopped renewing keeps the Lease", "15s")
    .option(
      "--renew-deadline <d>",
      "a leader that could not renew for this long stops working (< --lease-duration)",
      "10s",
    )
    .option("--retry-period <d>", "how often candidates try and the leader renews (< --renew-deadline)", "2s")
    .option(
      "--identity <id>",
      "this replica's name in the Lease and the namespace locks (default: host-pid-random)",
    )
    .addOption(
      new Option("--workers <n>", "AmbientMigrations reconciled at once").argParser(parseWorkers).default(4),
    )
    .option(
      "--watch-selector <selector>",
      "only reconcile AmbientMigrations whose labels match (e.g. shard=a)",
    )
    .option(
      "--backup-dir <dir>",
      "where step 5 writes its backups (a volume shared by the replicas)",
      "ambient-migrate-backup",
    )
    .option("--timeout <duration>", "how long each verification gate may take", DEFAULT_GATE_TIMEOUT)
    .addHelpText(
      "after",
      `
Deploy it with kubectl apply -k deploy/controller (or the Helm chart deploy/helm/ambient-migrate),
then declare a migration:

  apiVersion: ambient-migrate.io/v1alpha1
  kind: AmbientMigration
  metadata: {name: shop}
  spec:
    namespaces: [shop, cart]      # or selector: team=shop
    waves: true                   # callers before the namespaces they call
    targetStep: 4                 # stop after step 4 (unset: all six)
    paused: false                 # true: finish the step under way, start no other
    rollback: false               # true: undo every namespace from its journal

kubectl get ambientmigrations shows each namespace's step and state (status.namespaces), and
ambient-migrate status -n NS reads the same journal. Deleting an AmbientMigration never rolls
anything back: the controller stops, the journals stay, and migrate or rollback go on from them.

Only the leader works. A leader that cannot renew the Lease within --renew-deadline stops before
the Lease expires; the next leader resumes each namespace from its journal, taking over the
namespace lock once its holder is gone (dead on this host, or not renewed for 30s).
Logs go to stderr, one line per event; SIGTERM finishes the change under way, releases the Lease
and exits 0.`,
    )
    .action(async (flags: ControllerFlags, command: Command) => {
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
    });
}
