// `ambient-migrate controller`: runs in the cluster (deploy/controller) and reconciles
// AmbientMigration objects with the same executor, journal and locks as `migrate`; replicas elect
// one leader on a Lease and only the leader works. The logic is in src/controller/.

import { Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_GATE_TIMEOUT } from "../../run/session.js";
import type { IOStreams } from "../streams.js";
import { lazyAction } from "./lazy.js";

function parseWorkers(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("a whole number, 1 or more");
  return n;
}

export function controllerCommand(io: IOStreams): Command {
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
    .action(lazyAction(io, () => import("../actions/controller.js")));
}
