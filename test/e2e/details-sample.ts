// The namespace the step-by-step and RBAC migration tests start from: Bookinfo's details app
// (sidecar, istio-injection=enabled) with sources that translate without loss and give steps 1
// and 5 real work: an L7 AuthorizationPolicy, a VirtualService and its DestinationRule subsets.

import { apply, bookinfoApp, createNamespace, kubectl } from "./harness.js";

const detailsSources = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: details-get}
spec:
  selector: {matchLabels: {app: details}}
  action: ALLOW
  rules: [{to: [{operation: {methods: ["GET"]}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: details}
spec:
  hosts: [details]
  http: [{route: [{destination: {host: details, subset: v1}}], timeout: 5s}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: details}
spec:
  host: details
  subsets: [{name: v1, labels: {version: v1}}]
`;

/** A fresh namespace (deleted by deleteNamespaces) with details rolled out with its sidecar. */
export async function detailsNamespace(prefix: string): Promise<string> {
  const ns = await createNamespace(prefix, { "istio-injection": "enabled" });
  await apply(bookinfoApp("details"), ns);
  await apply(detailsSources, ns);
  await kubectl(["-n", ns, "rollout", "status", "deployment/details-v1", "--timeout=120s"]);
  return ns;
}
