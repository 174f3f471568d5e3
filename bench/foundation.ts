// Benchmark of the foundation: read a generated mesh of 2,000 namespaces and ~50,000 objects
// from YAML files, assess it and plan it; print each phase's time and the peak RSS.
// Target: under 3 s and 500 MB in total. Figures only: nothing is asserted.
//
// Run (compiles src and bench to a scratch dir under node_modules/.cache, then runs with Node 24):
//   npx tsc -p tsconfig.json --noEmit false --outDir node_modules/.cache/am-bench; \
//   npx node node_modules/.cache/am-bench/bench/foundation.js [namespaces]

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assess } from "../src/assess/assess.js";
import { readManifests } from "../src/inventory/from-files.js";
import { buildPlan } from "../src/plan/build.js";

const NAMESPACES = Number(process.argv[2] ?? 2000);

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

function namespaceFile(i: number): string {
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

let peakRss = process.memoryUsage().rss;
function phase<T>(name: string, run: () => T): T {
  const start = performance.now();
  const result = run();
  const ms = performance.now() - start;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  process.stdout.write(`${name.padEnd(8)} ${ms.toFixed(0).padStart(6)} ms\n`);
  totalMs += ms;
  return result;
}
let totalMs = 0;

const dir = mkdtempSync(join(tmpdir(), "ambient-migrate-bench-"));
try {
  for (let i = 0; i < NAMESPACES; i++) writeFileSync(join(dir, `ns-${i}.yaml`), namespaceFile(i));
  const read = phase("read", () => readManifests([dir]));
  const namespaces = read.inventory.namespaceNames();
  const assessment = phase("assess", () => assess(read.inventory, namespaces));
  const plan = phase("plan", () => buildPlan(read.inventory, assessment));
  process.stdout.write(
    `total    ${totalMs.toFixed(0).padStart(6)} ms   (target < 3000 ms)\n` +
      `peak rss ${(peakRss / 2 ** 20).toFixed(0).padStart(6)} MB   (target < 500 MB)\n` +
      `${namespaces.length} namespaces, ${read.inventory.count()} objects in ${read.files} files; ` +
      `${assessment.findings.length} findings; ${plan.namespaces.reduce((n, p) => n + p.steps.length, 0)} steps\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
