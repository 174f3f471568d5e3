// How commands reach a live cluster. The client and the reader are imported only when a command
// actually reads a cluster (no -f), so file-only runs stay light.

import type { ClusterPort } from "../cluster/port.js";
import type { ClusterReadScope } from "../inventory/from-cluster.js";
import type { Inventory } from "../inventory/model.js";
import type { GlobalOptions } from "./context.js";

export type ClusterConnector = (
  options: Pick<GlobalOptions, "kubeconfig" | "context">,
  note: (message: string) => void,
) => Promise<ClusterPort>;

let connector: ClusterConnector = async (options, note) => {
  const { connectCluster } = await import("../cluster/connect.js");
  return connectCluster(options, note);
};

/**
 * Replaces how commands reach a cluster (tests run them against the in-memory one); returns the
 * one it replaced.
 */
export function setClusterConnector(next: ClusterConnector): ClusterConnector {
  const previous = connector;
  connector = next;
  return previous;
}

/** The port for the cluster the flags name; commands that change a cluster use it directly. */
export async function clusterPortFor(
  options: Pick<GlobalOptions, "kubeconfig" | "context">,
  note: (message: string) => void,
) {
  return connector(options, note);
}

/** Reads the cluster the flags name (what `loadMesh` reads without -f). */
export async function readClusterInventory(
  options: Pick<GlobalOptions, "kubeconfig" | "context">,
  note: (message: string) => void,
  scope: ClusterReadScope = {},
): Promise<Inventory> {
  const port = await clusterPortFor(options, note);
  const { readCluster } = await import("../inventory/from-cluster.js");
  return readCluster(port, { ...scope, note });
}
