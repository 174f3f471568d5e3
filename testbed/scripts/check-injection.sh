#!/usr/bin/env bash
# Succeeds when istiod's injection webhook adds istio-proxy to a pod (server-side dry-run),
# as a container or as a native sidecar (init container with restartPolicy Always).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export KUBECONFIG="$KUBECONFIG_FILE"
kubectl get namespace testbed-probe >/dev/null 2>&1 || kubectl create namespace testbed-probe >/dev/null
kubectl label namespace testbed-probe istio-injection=enabled --overwrite >/dev/null
kubectl -n testbed-probe run probe --image=busybox --restart=Never --dry-run=server \
  -o jsonpath='{.spec.containers[*].name} {.spec.initContainers[*].name}' | grep -qw istio-proxy
