#!/usr/bin/env bash
# Istio's webhooks call the istiod Service; in the testbed istiod is a local process, so each
# webhook of Istio's (injector, revision tags, validator) is pointed at it by URL instead.
# istiod's own webhook patcher then keeps their caBundle current, as on a real cluster.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export KUBECONFIG="$KUBECONFIG_FILE"
base="https://127.0.0.1:$ISTIOD_WEBHOOK_PORT"
point() { # kind name
  local kind="$1" name="$2" patch="" i=0
  while IFS=$'\t' read -r path; do
    [[ -z "$path" ]] && path="/"
    local ca
    ca="$(kubectl get "$kind" "$name" -o "jsonpath={.webhooks[$i].clientConfig.caBundle}")"
    patch+="${patch:+,}{\"op\":\"replace\",\"path\":\"/webhooks/$i/clientConfig\",\"value\":{\"url\":\"$base$path\"${ca:+,\"caBundle\":\"$ca\"}}}"
    i=$((i + 1))
  done < <(kubectl get "$kind" "$name" -o go-template='{{range .webhooks}}{{with .clientConfig.service}}{{.path}}{{else}}{{.clientConfig.url}}{{end}}{{"\n"}}{{end}}' | sed -E "s#^https://[^/]+##")
  [[ -n "$patch" ]] && kubectl patch "$kind" "$name" --type=json -p "[$patch]" >/dev/null
  log "webhook $kind/$name -> $base ($i webhooks)"
}
for name in $(kubectl get mutatingwebhookconfigurations -l app=sidecar-injector -o name); do
  point mutatingwebhookconfiguration "${name#*/}"
done
for name in $(kubectl get validatingwebhookconfigurations -l app=istiod -o name); do
  point validatingwebhookconfiguration "${name#*/}"
done
