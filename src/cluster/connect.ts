// Connects to the cluster the global flags point at and says which on stderr. Imported lazily
// (it loads @kubernetes/client-node), so that file-only runs never load the client.

import { ApiClusterPort } from "./client.js";
import { loadKubeconfig } from "./kubeconfig.js";
import type { ClusterPort } from "./port.js";
import { KubeTransport } from "./transport.js";

export function connectCluster(
  options: { kubeconfig?: string; context?: string },
  note: (message: string) => void,
): ClusterPort {
  const loaded = loadKubeconfig(options);
  note(loaded.description);
  return new ApiClusterPort(new KubeTransport(loaded), note);
}
