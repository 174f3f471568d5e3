#!/usr/bin/env bash
# testbed-envoy at scale: N injected pods (default 200) in a namespace of the running testbed;
# prints how long until real `istioctl proxy-status` lists every one subscribed to CDS, LDS,
# EDS and RDS, how long one `istioctl proxy-config routes` takes, and testbed-envoy's memory.
#
# Run:  bash bench/testbed-envoy-scale.sh [N]     (after npm run testbed:up; cleans up after)
set -euo pipefail
source "$(dirname "$0")/../testbed/scripts/lib.sh"
[[ -f "$STATE/up" ]] || die "the testbed is not up: run npm run testbed:up"
export KUBECONFIG="$KUBECONFIG_FILE" PATH="$(cat "$STATE/cache")/bin:$PATH"
n="${1:-200}"
ns="envoy-scale-$$"
trap 'kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true' EXIT

start=$(date +%s.%N)
kubectl create namespace "$ns" >/dev/null
kubectl label namespace "$ns" istio-injection=enabled >/dev/null
kubectl -n "$ns" create deployment many --image=curlimages/curl --replicas="$n" >/dev/null
# Ready pods are created by the ReplicaSet controller over a few seconds: wait for all of them.
until [[ "$(kubectl -n "$ns" get pods -l app=many --no-headers 2>/dev/null | wc -l)" -ge "$n" ]]; do sleep 1; done
kubectl -n "$ns" wait pods -l app=many --for=condition=Ready --timeout=600s >/dev/null
ready=$(date +%s.%N)

subscribed=0
deadline=$(($(date +%s) + 600))
while ((subscribed < n)); do
  (($(date +%s) < deadline)) || die "only $subscribed of $n proxies subscribed after 10 minutes"
  subscribed=$(istioctl proxy-status --xds-address "127.0.0.1:$ISTIOD_GRPC_PORT" --plaintext 2>/dev/null |
    grep -c "^many-.*\.$ns .*(CDS,LDS,EDS,RDS)" || true)
  ((subscribed >= n)) || sleep 1
done
listed=$(date +%s.%N)

pod=$(kubectl -n "$ns" get pods -l app=many -o jsonpath='{.items[0].metadata.name}')
t0=$(date +%s.%N)
routes=$(istioctl proxy-config routes "$pod.$ns" -o json | grep -c '"name"' || true)
t1=$(date +%s.%N)
rss=$(ps -o rss= -C testbed-envoy | sort -n | tail -1)

awk -v n="$n" -v a="$start" -v b="$ready" -v c="$listed" -v d="$t0" -v e="$t1" -v r="$routes" -v m="$rss" 'BEGIN {
  printf "testbed-envoy: %d injected pods Ready in %.1f s; istioctl proxy-status lists all %d subscribed (CDS,LDS,EDS,RDS) %.1f s later\n", n, b - a, n, c - b
  printf "istioctl proxy-config routes on one of them: %.2f s (%d names); testbed-envoy RSS %.0f MiB (largest instance)\n", e - d, r, m / 1024
}'
