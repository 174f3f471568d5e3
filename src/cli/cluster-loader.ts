// Registers the live cluster reader with the CLI context. The client and the reader are
// imported only when a command actually reads a cluster (no -f), so file-only runs stay light.

import { type GlobalOptions, note, setClusterLoader } from "./context.js";

/** The port for the cluster the flags name; commands that change a cluster use it directly. */
export async function clusterPortFor(options: Pick<GlobalOptions, "kubeconfig" | "context">) {
  const { connectCluster } = await import("../cluster/connect.js");
  return connectCluster(options, note);
}

setClusterLoader(async (options) => {
  const port = await clusterPortFor(options);
  const { readCluster } = await import("../inventory/from-cluster.js");
  return readCluster(port, { note });
});
