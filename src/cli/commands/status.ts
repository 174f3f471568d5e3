// `ambient-migrate status`: where every namespace stands, in one table for the whole cluster
// (or for manifests with -f). It reads each kind once, whatever the number of namespaces.

import { Command } from "commander";
import type { IOStreams } from "../streams.js";
import { lazyAction } from "./lazy.js";

export function statusCommand(io: IOStreams): Command {
  return new Command("status")
    .description("show where each namespace stands: sidecar, migrating (after which step), or ambient")
    .addHelpText(
      "after",
      "\nWithout -n or -l, every namespace of the cluster (or of the -f manifests) is listed.\n" +
        "PODS counts all pods / pods with a sidecar / pods enrolled by the Istio CNI (ambient.istio.io/redirection).\n\n" +
        "Fleets: --context a,b,c or --all-contexts (every context of the kubeconfig) reads the clusters\n" +
        'concurrently into one table with a CLUSTER column (-o json: each namespace has a "cluster" field).\n' +
        'A cluster that cannot be read is reported on stderr and under "errors" (-o json); the others are\n' +
        "still listed, and the exit code is that cluster's (e.g. 6: unreachable).\n" +
        "  ambient-migrate status --context prod-eu,prod-us -n shop\n" +
        "  ambient-migrate status --all-contexts -l istio-injection=enabled\n\n" +
        "--workloads lists each pod with its data plane, what istioctl proxy-status and ztunnel-config\n" +
        "workloads show between them: sidecar (with its sync with istiod, from istiod's /debug/syncz on each\n" +
        "istiod pod's port 15014, or at --istiod URL), ztunnel (protocol HBONE, its waypoint) or none.\n" +
        "  ambient-migrate status -n shop --workloads -o json\n\n" +
        "--watch keeps the table current from watches on the cluster (no polling): redrawn in place on a\n" +
        "terminal; elsewhere the table once, then each namespace's row again when it changes (-o json: one\n" +
        "line per changed namespace). Ctrl-C stops it (exit 0).\n" +
        "  ambient-migrate status -n shop --watch",
    )
    .option(
      "--all-contexts",
      "read every context of the kubeconfig, concurrently, into one table with a cluster column",
    )
    .option(
      "--workloads",
      "list each pod with its data plane instead: sidecar, ztunnel (HBONE and its waypoint, from ztunnel's config_dump) or none",
    )
    .option(
      "--istiod <url>",
      "with --workloads: istiod's monitoring address for the sidecars' sync states (default: every running istiod pod's port 15014 through the apiserver; needed when istiod runs outside the cluster)",
    )
    .option("-w, --watch", "keep the table current from watches until Ctrl-C (one cluster)")
    .action(lazyAction(io, () => import("../actions/status.js")));
}
