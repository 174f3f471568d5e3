#!/usr/bin/env bash
# Prints each testbed process and whether the API server and istiod answer.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
for name in "${PROCESSES[@]}"; do
  if alive "$name"; then printf '%-26s running (pid %s)\n' "$name" "$(cat "$STATE/pids/$name")"
  else printf '%-26s stopped\n' "$name"; fi
done
if [[ -f "$STATE/cache" ]]; then
  export PATH="$(cat "$STATE/cache")/bin:$PATH"
  KUBECONFIG="$KUBECONFIG_FILE" kubectl get --raw /readyz >/dev/null 2>&1 && echo "kube-apiserver readyz      ok" || echo "kube-apiserver readyz      failing"
fi
curl -fsS "http://127.0.0.1:$ISTIOD_HTTP_PORT/ready" >/dev/null 2>&1 && echo "istiod ready               ok" || echo "istiod ready               failing"
[[ -f "$STATE/up" ]] && echo "kubeconfig: $KUBECONFIG_FILE"
