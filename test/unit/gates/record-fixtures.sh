#!/usr/bin/env bash
# Records, from a running testbed, the objects the gate tests judge (fixtures/recorded/): the
# workloads at the moments rollouts-complete judges them (a Deployment mid-rollout, a StatefulSet
# with a partition, one with OnDelete), the pods of an ambient namespace with and without the
# redirection annotation (one injected with a sidecar by the real injector), a programmed waypoint,
# and the ztunnel config dump that lists them. Run it again to refresh them:
#   AMBIENT_TESTBED_DIR=/work/.testbed-shared test/unit/gates/record-fixtures.sh
# It works in a namespace of its own (gate-rec), deleted at the end.
set -euo pipefail

export KUBECONFIG="${KUBECONFIG:-${AMBIENT_TESTBED_DIR:?set AMBIENT_TESTBED_DIR or KUBECONFIG}/kubeconfig}"
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/fixtures/recorded"
ns=gate-rec
node="$(cd "$here/../../.." && pwd)/node_modules/.bin/node"
mkdir -p "$out"

kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
trap 'kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null' EXIT
kubectl create namespace "$ns" >/dev/null
kubectl label namespace "$ns" istio.io/dataplane-mode=ambient >/dev/null

# Objects as kubectl get -o json shows them, without managedFields (noise the gates never read).
strip() {
  "$node" -e '
    const doc = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const items = doc.kind === "List" || doc.items ? doc.items : [doc];
    for (const o of items) delete o.metadata.managedFields;
    process.stdout.write(JSON.stringify(items, null, 2) + "\n");'
}

kubectl apply -n "$ns" -f - >/dev/null <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 3
  # A new pod counts as available 20 s after it is Ready: the rollout stays half-way long enough
  # to be recorded (kwok makes pods Ready at once).
  minReadySeconds: 20
  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: registry.k8s.io/pause:3.10 }] }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db }
spec:
  replicas: 3
  serviceName: db
  updateStrategy: { type: RollingUpdate, rollingUpdate: { partition: 2 } }
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec: { containers: [{ name: db, image: registry.k8s.io/pause:3.10 }] }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: queue }
spec:
  replicas: 2
  serviceName: queue
  updateStrategy: { type: OnDelete }
  selector: { matchLabels: { app: queue } }
  template:
    metadata: { labels: { app: queue } }
    spec: { containers: [{ name: queue, image: registry.k8s.io/pause:3.10 }] }
---
# A pod that asks the real injector for a sidecar: ambient leaves it alone (no redirection).
apiVersion: v1
kind: Pod
metadata: { name: legacy, labels: { app: legacy, sidecar.istio.io/inject: "true" } }
spec: { containers: [{ name: legacy, image: registry.k8s.io/pause:3.10 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: waypoint, labels: { istio.io/waypoint-for: service } }
spec: { gatewayClassName: istio-waypoint, listeners: [{ name: mesh, port: 15008, protocol: HBONE }] }
EOF

kubectl rollout status -n "$ns" deployment/web --timeout=3m >/dev/null
kubectl rollout status -n "$ns" statefulset/db --timeout=3m >/dev/null
# (kubectl rollout status does not follow OnDelete)
kubectl wait -n "$ns" statefulset/queue --for=jsonpath='{.status.readyReplicas}'=2 --timeout=3m >/dev/null
kubectl wait -n "$ns" gateway/waypoint --for=condition=Programmed --timeout=3m >/dev/null
kubectl wait -n "$ns" pod/legacy --for=condition=Ready --timeout=3m >/dev/null

# A new pod template for each: the rollouts the gate waits on.
for w in deployment/web statefulset/db statefulset/queue; do
  kubectl patch -n "$ns" "$w" --type=merge \
    -p '{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"recorded"}}}}}' >/dev/null
done
# Mid-rollout: the first new pod is up, not yet available (minReadySeconds), the old ones stay.
for _ in $(seq 1 60); do
  mid="$(kubectl get -n "$ns" deployment/web -o json)"
  if "$node" -e 'const d = JSON.parse(process.argv[1]); const s = d.status;
      process.exit(s.observedGeneration === d.metadata.generation && s.updatedReplicas >= 1 && s.updatedReplicas < d.spec.replicas ? 0 : 1)' "$mid"
  then break; fi
  sleep 0.5
done
echo "$mid" | strip >"$out/deployment-mid-rollout.json"
kubectl rollout status -n "$ns" statefulset/db --timeout=3m >/dev/null
kubectl get -n "$ns" statefulset/db -o json | strip >"$out/statefulset-partition.json"
kubectl get -n "$ns" statefulset/queue -o json | strip >"$out/statefulset-ondelete.json"
kubectl rollout status -n "$ns" deployment/web --timeout=5m >/dev/null
kubectl get -n "$ns" deployment/web -o json | strip >"$out/deployment-complete.json"

kubectl get -n "$ns" gateway/waypoint -o json | strip >"$out/waypoint-programmed.json"
# Pods once the rollout is done (the replaced ones gone), each as the CNI agent left it.
kubectl wait -n "$ns" pods -l app=web --for=condition=Ready --timeout=3m >/dev/null
sleep 2
kubectl get -n "$ns" pods -o json | strip >"$out/pods.json"

# ztunnel's config dump, as ztunnel's admin port answers it, reduced to this namespace.
zpod="$(kubectl get pods -n istio-system -l app=ztunnel -o jsonpath='{.items[0].metadata.name}')"
kubectl get pods -n istio-system "$zpod" -o json | strip >"$out/ztunnel-pod.json"
kubectl get daemonset -n istio-system ztunnel -o json | strip >"$out/ztunnel-daemonset.json"
# Through a port-forward, as the tool reads it (the apiserver's pod proxy is refused here).
kubectl port-forward -n istio-system "pod/$zpod" :15000 >"$out/.port-forward" 2>&1 &
forward=$!
trap 'kill "$forward" 2>/dev/null; kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null' EXIT
for _ in $(seq 1 50); do grep -q "Forwarding from" "$out/.port-forward" && break; sleep 0.2; done
port="$(sed -n 's/^Forwarding from 127.0.0.1:\([0-9]*\).*/\1/p' "$out/.port-forward" | head -1)"
rm -f "$out/.port-forward"
"$node" -e '
  const [ns, port] = process.argv.slice(1);
  const dump = await (await fetch(`http://127.0.0.1:${port}/config_dump`)).json();
  const mine = (o) =>
    Array.isArray(o)
      ? o.filter((w) => w.namespace === ns)
      : Object.fromEntries(Object.entries(o ?? {}).filter(([, w]) => w.namespace === ns));
  const out = { workloads: mine(dump.workloads), services: mine(dump.services) };
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");' "$ns" "$port" >"$out/ztunnel-config-dump.json"
kill "$forward"
echo "recorded into $out"
