#!/usr/bin/env bash
# Loads the sample mesh into the running testbed: Istio's Bookinfo in two sidecar-mode
# namespaces, `bookinfo` (istio-injection=enabled) and `bookinfo-rev` (istio.io/rev=1-27,
# a revision tag of the default revision), with VirtualServices, DestinationRules and
# L4 + L7 AuthorizationPolicies. Waits until every pod runs with its sidecar.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[[ -f "$STATE/up" ]] || die "the testbed is not up: run npm run testbed:up"
export KUBECONFIG="$KUBECONFIG_FILE" PATH="$(cat "$STATE/cache")/bin:$PATH"
fixtures="${AMBIENT_FIXTURES:-$REPO_ROOT/../shared/fixtures/istio-upstream}"
[[ -d "$fixtures" ]] || die "Istio fixtures not found at $fixtures (set AMBIENT_FIXTURES)"

if ! kubectl get mutatingwebhookconfiguration istio-revision-tag-1-27 >/dev/null 2>&1; then
  log "creating revision tag 1-27 -> default"
  istioctl tag set 1-27 --revision default --skip-confirmation >/dev/null
  "$TESTBED_ROOT/scripts/point-webhooks.sh"
fi

load() { # namespace label
  local ns="$1" label="$2"
  kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  kubectl label namespace "$ns" "$label" --overwrite >/dev/null
  kubectl -n "$ns" apply -f "$fixtures/bookinfo/platform/bookinfo.yaml" >/dev/null
  kubectl -n "$ns" apply -f "$fixtures/bookinfo/networking/destination-rule-all.yaml" >/dev/null
  kubectl -n "$ns" apply -f "$fixtures/bookinfo/networking/virtual-service-reviews-90-10.yaml" >/dev/null
  sed "s/NAMESPACE/$ns/g" "$TESTBED_ROOT/manifests/sample-policies.yaml" | kubectl -n "$ns" apply -f - >/dev/null
  log "loaded Bookinfo into $ns ($label)"
}
load bookinfo istio-injection=enabled
load bookinfo-rev istio.io/rev=1-27
for ns in bookinfo bookinfo-rev; do
  for d in $(kubectl -n "$ns" get deploy -o name); do kubectl -n "$ns" rollout status "$d" --timeout=120s >/dev/null; done
done
log "sample mesh ready:"
kubectl get pods -n bookinfo -o wide >&2
