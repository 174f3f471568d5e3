// What a cluster must have before any namespace can move to ambient (procedure.md section 1):
// Istio's CRDs, the Gateway API CRDs (waypoints are Gateways), a running istiod and the ztunnel
// DaemonSet. Each absence is exit 8 with what to install.

import { K, type KindInfo, kindInfo } from "../inventory/kinds.js";
import { crdsMissing, prerequisiteMissing } from "./errors.js";
import type { ClusterPort } from "./port.js";
import { findZtunnelDaemonSet } from "./ztunnel.js";

const REQUIRED_CRDS = [
  K.VirtualService,
  K.AuthorizationPolicy,
  K.PeerAuthentication,
  K.Gateway,
  K.HTTPRoute,
  K.GatewayClass,
] as const;

/** istiod's injector webhook: present wherever istiod serves the cluster, even from outside it. */
const INJECTOR_WEBHOOKS: KindInfo = {
  group: "admissionregistration.k8s.io",
  version: "v1",
  kind: "MutatingWebhookConfiguration",
  plural: "mutatingwebhookconfigurations",
  namespaced: false,
  role: "istiod's sidecar injector (control plane outside the cluster)",
};

interface Prerequisites {
  /** Where istiod was found: "Deployment istio-system/istiod" or "webhook istio-sidecar-injector". */
  istiod: string;
  ztunnel: string;
}

export async function checkAmbientPrerequisites(port: ClusterPort): Promise<Prerequisites> {
  const kinds = REQUIRED_CRDS.map(kindInfo);
  const served = await Promise.all(kinds.map((k) => port.hasResource(k.group, k.version, k.plural)));
  const missing = kinds.filter((_, i) => !served[i]);
  if (missing.length > 0) throw crdsMissing(missing);

  const deployments = await port.list(kindInfo(K.Deployment), undefined, { labelSelector: "app=istiod" });
  const deployment = deployments.items[0];
  let istiod: string;
  if (deployment) istiod = `Deployment ${deployment.metadata.namespace}/${deployment.metadata.name}`;
  else {
    const webhooks = await port.list(INJECTOR_WEBHOOKS, undefined, { labelSelector: "app=sidecar-injector" });
    const webhook = webhooks.items[0];
    if (!webhook) {
      throw prerequisiteMissing(
        "no istiod in the cluster (no Deployment labelled app=istiod, no sidecar-injector webhook)",
        "install Istio's control plane: istioctl install --set profile=ambient, or helm install istiod istio/istiod -n istio-system --set profile=ambient",
      );
    }
    istiod = `webhook ${webhook.metadata.name}`;
  }
  // Its pods need not be Ready yet (nodes coming back after a restart): the gates wait for them.
  const daemonSet = await findZtunnelDaemonSet(port);
  return { istiod, ztunnel: `DaemonSet ${daemonSet.metadata.namespace}/${daemonSet.metadata.name}` };
}
