// A generated mesh for the benchmarks: one YAML file per namespace, each with a Namespace (a mix
// of istio-injection, istio.io/rev and ambient labels), four apps (Deployment, Service,
// ServiceAccount, a sidecar-injected Pod), a VirtualService, a DestinationRule, two
// AuthorizationPolicies, a PeerAuthentication and, every 50th namespace, a WorkloadEntry.

import { writeFileSync } from "node:fs";
import { join } from "node:path";

function deployment(ns: string, app: string, extraLabels = ""): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}
  namespace: ${ns}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: ${app}
  template:
    metadata:
      labels:
        app: ${app}
        version: v1${extraLabels}
    spec:
      serviceAccountName: ${app}
      containers:
      - name: ${app}
        image: registry.example.com/${app}:1.0.0
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: ${app}
  namespace: ${ns}
spec:
  selector:
    app: ${app}
  ports:
  - name: http
    port: 8080
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${app}
  namespace: ${ns}
---
apiVersion: v1
kind: Pod
metadata:
  name: ${app}-7d9f-abcde
  namespace: ${ns}
  annotations:
    sidecar.istio.io/status: '{"containers":["istio-proxy"]}'
  ownerReferences:
  - apiVersion: apps/v1
    kind: ReplicaSet
    name: ${app}-7d9f
    controller: true
spec:
  containers:
  - name: ${app}
    image: registry.example.com/${app}:1.0.0
  - name: istio-proxy
    image: docker.io/istio/proxyv2:1.27.0
    env:
    - name: ISTIO_META_ENABLE_HBONE
      value: "true"
---
`;
}

export function namespaceFile(i: number): string {
  const ns = `team-${String(i).padStart(4, "0")}`;
  const label =
    i % 10 === 0
      ? "istio.io/rev: 1-27"
      : i % 10 === 1
        ? "istio.io/dataplane-mode: ambient"
        : "istio-injection: enabled";
  let text = `apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
  labels:
    ${label}
---
`;
  for (const app of ["web", "api", "worker", "cache"])
    text += deployment(
      ns,
      app,
      app === "cache" && i % 7 === 0 ? '\n        sidecar.istio.io/inject: "true"' : "",
    );
  text += `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: api
  namespace: ${ns}
spec:
  hosts: [api]
  http:
  - route:
    - destination: {host: api, subset: v1}
      weight: 90
    - destination: {host: api, subset: v2}
      weight: 10
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: api
  namespace: ${ns}
spec:
  host: api
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: api-get
  namespace: ${ns}
spec:
  selector:
    matchLabels: {app: api}
  rules:
  - to:
    - operation: {methods: [GET]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: worker-from-api
  namespace: ${ns}
spec:
  selector:
    matchLabels: {app: worker}
  rules:
  - from:
    - source: {principals: ["cluster.local/ns/${ns}/sa/api"]}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: ${ns}
spec:
  mtls: {mode: STRICT}
---
`;
  if (i % 50 === 0)
    text += `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: vm
  namespace: ${ns}
spec:
  address: 10.0.${i % 250}.1
---
`;
  return text;
}

/** Writes `count` namespace files into `dir` (ns-0.yaml ...). */
export function writeMesh(dir: string, count: number): void {
  for (let i = 0; i < count; i++) writeFileSync(join(dir, `ns-${i}.yaml`), namespaceFile(i));
}
