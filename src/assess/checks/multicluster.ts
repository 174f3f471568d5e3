// Primary-remote multicluster is a hard blocker in Istio's guide. Nothing in a cluster says
// "primary-remote" outright; these are the signals the installation leaves behind (Helm chart
// istio-discovery): the injector's values carry `global.remotePilotAddress` on a remote cluster
// and `global.externalIstiod: true` on a primary serving remotes; a remote cluster gets the
// Service `istiod-remote`. Network and cluster names only hint at multi-cluster in general.

import { K } from "../../inventory/kinds.js";
import type { KubeObject } from "../../inventory/model.js";
import type { MeshCheck } from "../check.js";
import type { MeshContext } from "../context.js";
import type { Finding } from "../finding.js";

const NETWORK_LABEL = "topology.istio.io/network";
const REMOTE_ISTIOD_SERVICE = "istiod-remote";
const INJECTOR_CONFIGMAP = /^istio-sidecar-injector(-[\w.-]+)?$/;

// biome-ignore lint/suspicious/noExplicitAny: parsed Helm values
function injectorValues(cm: KubeObject): any {
  try {
    return JSON.parse(String((cm.data as Record<string, unknown> | undefined)?.values ?? "{}"));
  } catch {
    return {};
  }
}

const HONEST = "this is a signal read from installation values, not proof";

function primaryRemote(mesh: MeshContext, object: KubeObject, what: string): Finding {
  return mesh.finding(
    "primary-remote-multicluster",
    object,
    `${what}: the mesh looks like a primary-remote multicluster install, which ambient mode does not support (${HONEST})`,
    "confirm the topology; if it is primary-remote, do not migrate any namespace of this mesh",
    "mesh",
  );
}

function signal(mesh: MeshContext, object: KubeObject, what: string): Finding {
  return mesh.finding(
    "multicluster-signal",
    object,
    `${what}: the mesh may span several clusters or networks (${HONEST})`,
    "check that every cluster of the mesh runs an Istio version whose ambient mode supports this topology before migrating",
    "mesh",
  );
}

export const multicluster: MeshCheck = (mesh) => {
  const out: Finding[] = [];
  for (const cm of mesh.inventory.list(K.ConfigMap)) {
    if (!INJECTOR_CONFIGMAP.test(cm.metadata.name)) continue;
    const global = injectorValues(cm)?.global ?? {};
    if (typeof global.remotePilotAddress === "string" && global.remotePilotAddress !== "")
      out.push(
        primaryRemote(
          mesh,
          cm,
          `global.remotePilotAddress is ${global.remotePilotAddress} (this cluster's proxies use an istiod elsewhere)`,
        ),
      );
    if (global.externalIstiod === true || global.externalIstiod === "true")
      out.push(primaryRemote(mesh, cm, "global.externalIstiod is true (this istiod serves remote clusters)"));
    const cluster = global.multiCluster?.clusterName;
    if (typeof cluster === "string" && cluster !== "" && cluster !== "Kubernetes")
      out.push(signal(mesh, cm, `global.multiCluster.clusterName is ${cluster}`));
    if (typeof global.network === "string" && global.network !== "")
      out.push(signal(mesh, cm, `global.network is ${global.network}`));
  }
  for (const svc of mesh.inventory.list(K.Service)) {
    if (svc.metadata.name === REMOTE_ISTIOD_SERVICE)
      out.push(
        primaryRemote(mesh, svc, `Service ${REMOTE_ISTIOD_SERVICE} exists (created for remote clusters)`),
      );
  }
  for (const ns of mesh.inventory.list(K.Namespace)) {
    const network = ns.metadata.labels?.[NETWORK_LABEL];
    if (network !== undefined)
      out.push(signal(mesh, ns, `Namespace ${ns.metadata.name} has ${NETWORK_LABEL}=${network}`));
  }
  return out;
};
