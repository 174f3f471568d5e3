#!/usr/bin/env bash
# Starts the testbed: a real Kubernetes control plane (etcd, kube-apiserver with RBAC,
# controller-manager, scheduler), kwok fake nodes, Gateway API CRDs, and Istio's ambient
# profile with a real istiod running as a local process. Writes $STATE/kubeconfig.
# A testbed that holds data is never wiped: only the processes that are not running are
# started again (etcd data, PKI and kubeconfig kept); `testbed:down` or `testbed:reset` start fresh.
#   up.sh                      start everything, or what is missing
#   up.sh --only NAME...       start only these components (npm run testbed:start -- NAME)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
t0=$(date +%s)

only=()
if [[ "${1:-}" == "--only" ]]; then
  shift
  (( $# > 0 )) || die "name a component to start: ${PROCESSES[*]}"
  for name in "$@"; do known_component "$name" || die "unknown component '$name'; components: ${PROCESSES[*]}"; done
  only=("$@")
fi
# Whether this run starts NAME: not running, and asked for (everything when no --only).
need() {
  alive "$1" && return 1
  (( ${#only[@]} == 0 )) && return 0
  local n; for n in "${only[@]}"; do [[ "$n" == "$1" ]] && return 0; done
  return 1
}

# Several test runs may ask for the testbed at once: one brings it up, the others wait.
mkdir -p "$STATE"
exec 9>"$STATE/.lock"
flock 9

# A cluster was set up here and its data is kept: restart what is missing, set nothing up again.
fresh=true
[[ -f "$STATE/up" && -d "$STATE/etcd/member" && -f "$STATE/cache" ]] && fresh=false
if ! $fresh; then
  missing=(); for name in "${PROCESSES[@]}"; do need "$name" && missing+=("$name"); done
  if (( ${#missing[@]} == 0 )); then
    log "already up (kubeconfig: $KUBECONFIG_FILE)"
    exit 0
  fi
  log "restarting ${missing[*]} (state kept in $STATE)"
elif (( ${#only[@]} > 0 )); then
  die "no testbed holds data in $STATE: run npm run testbed:up first"
else
  "$TESTBED_ROOT/scripts/down.sh" --quiet || true
fi

if $fresh; then CACHE="$("$TESTBED_ROOT/scripts/build.sh" | tail -n 1)"; else CACHE="$(cat "$STATE/cache")"; fi
BIN="$CACHE/bin"
DATA="$CACHE/data"
for f in gateway-api-crds.yaml monitoring-crds.yaml kwok-stage kwok-portforwards-crd.yaml; do
  [[ -e "$DATA/$f" ]] || die "the build left no $DATA/$f: run testbed/scripts/build.sh again (or delete $CACHE)"
done
export PATH="$BIN:$PATH"
mkdir -p "$STATE"/{pki,logs,pids,etcd,istiod-work}
echo "$CACHE" > "$STATE/cache"
source "$TESTBED_ROOT/versions.env"

for name in "${PROCESSES[@]}"; do
  need "$name" || continue
  for port in $(ports_of "$name"); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then die "port $port ($name) is already in use; stop what uses it or move the testbed (see testbed/scripts/lib.sh)"; fi
  done
done

# --- PKI ---------------------------------------------------------------------------------
pki="$STATE/pki"
if $fresh; then
log "creating PKI in $pki"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=testbed-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
sign() { # name subject [sans]
  local name="$1" subj="$2" sans="${3:-}"
  openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$pki/$name.key" -out "$pki/$name.csr" 2>/dev/null
  local ext="$pki/$name.ext"
  if [[ -n "$sans" ]]; then
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$sans" > "$ext"
  else
    printf 'extendedKeyUsage=clientAuth\n' > "$ext"
  fi
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 30 -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
}
sign apiserver "/CN=kube-apiserver" \
  "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
sign admin "/O=system:masters/CN=testbed-admin"
sign kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
sign kwok "/CN=kwok" "IP:127.0.0.1,DNS:localhost"
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null

kubectl config --kubeconfig "$KUBECONFIG_FILE" set-cluster testbed \
  --server "https://127.0.0.1:$APISERVER_PORT" --certificate-authority "$pki/ca.crt" --embed-certs >/dev/null
kubectl config --kubeconfig "$KUBECONFIG_FILE" set-credentials testbed-admin \
  --client-certificate "$pki/admin.crt" --client-key "$pki/admin.key" --embed-certs >/dev/null
kubectl config --kubeconfig "$KUBECONFIG_FILE" set-context testbed --cluster testbed --user testbed-admin >/dev/null
kubectl config --kubeconfig "$KUBECONFIG_FILE" use-context testbed >/dev/null
fi
export KUBECONFIG="$KUBECONFIG_FILE"

# --- etcd and the Kubernetes control plane ---------------------------------------------
if need etcd; then
log "starting etcd"
start etcd etcd --name testbed --data-dir "$STATE/etcd" --unsafe-no-fsync \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "testbed=http://127.0.0.1:$ETCD_PEER_PORT" --log-level warn
wait_until "etcd health" 60 etcd curl -fsS "http://127.0.0.1:$ETCD_PORT/health"
fi

if need kube-apiserver; then
log "starting kube-apiserver ($KUBERNETES_VERSION)"
start kube-apiserver kube-apiserver \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" --authorization-mode Node,RBAC \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 --allow-privileged=true \
  --kubelet-client-certificate "$pki/kubelet-client.crt" --kubelet-client-key "$pki/kubelet-client.key" \
  --kubelet-preferred-address-types InternalIP \
  --endpoint-reconciler-type none --profiling=false
wait_until "kube-apiserver /readyz" 120 kube-apiserver kubectl get --raw /readyz
fi

if need kube-controller-manager; then
log "starting kube-controller-manager"
start kube-controller-manager kube-controller-manager --kubeconfig "$KUBECONFIG_FILE" \
  --authentication-kubeconfig "$KUBECONFIG_FILE" --authorization-kubeconfig "$KUBECONFIG_FILE" \
  --leader-elect=false --bind-address 127.0.0.1 --secure-port 0 \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --use-service-account-credentials --cluster-name testbed \
  --controllers '*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route' \
  --concurrent-deployment-syncs 10 --concurrent-replicaset-syncs 10 --kube-api-qps 200 --kube-api-burst 400
fi
if need kube-scheduler; then
log "starting kube-scheduler"
start kube-scheduler kube-scheduler --kubeconfig "$KUBECONFIG_FILE" \
  --authentication-kubeconfig "$KUBECONFIG_FILE" --authorization-kubeconfig "$KUBECONFIG_FILE" \
  --leader-elect=false --bind-address 127.0.0.1 --secure-port 0
fi

# --- kwok: fake nodes, pods Ready, port-forward to the node-agent stand-ins --------------
kwok_config="$STATE/kwok.yaml"
if need kwok; then
log "starting kwok ($KWOK_VERSION)"
{
  cat <<YAML
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterPortForward
metadata:
  name: ztunnel-admin
spec:
  selector:
    matchNamespaces: [istio-system]
  forwards:
  - ports: [15000]
    target:
      port: $ZTUNNEL_ADMIN_PORT
      address: 127.0.0.1
YAML
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo "---"; cat "$DATA/kwok-stage/$f"
  done
  # As a kubelet does once its node is back: the node lifecycle controller marks a node's pods
  # Ready=False while the node's lease goes unrenewed (the apiserver or etcd stopped), and kwok's
  # own stages only make Pending pods Ready, so without this they would stay NotReady for good.
  cat <<'YAML'
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-ready-again
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values: ['Running']
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: 'In'
      values: ['False']
  next:
    statusTemplate: |
      conditions:
      {{ range .status.conditions }}
      - type: {{ .type | Quote }}
        {{ if eq .type "Ready" }}
        status: "True"
        lastTransitionTime: {{ Now | Quote }}
        {{ else }}
        status: {{ .status | Quote }}
        lastTransitionTime: {{ .lastTransitionTime | Quote }}
        {{ end }}
      {{ end }}
YAML
} > "$kwok_config"
# Per-pod PortForward objects come from the apiserver (testbed-envoy writes them for proxy pods).
kubectl apply --server-side -f "$DATA/kwok-portforwards-crd.yaml" >/dev/null
kubectl wait --for=condition=Established crd/portforwards.kwok.x-k8s.io --timeout=60s >/dev/null
# Options as flags: a KwokConfiguration document in --config would replace kwok's defaults.
start kwok kwok --kubeconfig "$KUBECONFIG_FILE" --config "$kwok_config" --manage-all-nodes=true --enable-crds PortForward \
  --cidr 10.244.0.1/16 --node-ip 127.0.0.1 --node-port "$KWOK_PORT" --server-address "127.0.0.1:$KWOK_PORT" \
  --tls-cert-file "$pki/kwok.crt" --tls-private-key-file "$pki/kwok.key" --node-lease-duration-seconds 40
fi
if $fresh; then
for n in 1 2; do
  kubectl create -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata:
  name: testbed-node-$n
  annotations: {kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/hostname: testbed-node-$n, kubernetes.io/os: linux, type: kwok}
# Like a kubelet registering itself: istiod reads kubeletVersion (native sidecars from 1.33 on).
status:
  nodeInfo: {kubeletVersion: $KUBERNETES_VERSION}
YAML
done
kubectl wait --for=condition=Ready node --all --timeout=60s >/dev/null

# --- Gateway API CRDs and Istio (ambient profile) -----------------------------------------
log "installing Gateway API CRDs ($GATEWAY_API_VERSION) and Istio ($ISTIO_BUILD_VERSION, ambient profile)"
kubectl apply --server-side -f "$DATA/gateway-api-crds.yaml" >/dev/null
kubectl apply --server-side -f "$DATA/monitoring-crds.yaml" >/dev/null # prometheus-operator's, for observability --apply
istioctl manifest generate --set profile=ambient > "$STATE/istio.yaml"
kubectl create namespace istio-system --dry-run=client -o yaml | kubectl apply -f - >/dev/null
# Apply CRDs first, then everything (the apply of custom resources needs their CRDs established).
kubectl apply --server-side -f "$STATE/istio.yaml" --force-conflicts >/dev/null 2>"$STATE/logs/istio-apply.log" || true
kubectl wait --for=condition=Established crd --all --timeout=60s >/dev/null
kubectl apply --server-side -f "$STATE/istio.yaml" --force-conflicts >/dev/null
# istiod runs on this machine, not as a pod: keep its environment, drop its Deployment.
kubectl -n istio-system get deployment istiod \
  -o go-template='{{range (index .spec.template.spec.containers 0).env}}{{if .value}}{{.name}}={{.value}}{{"\n"}}{{end}}{{end}}' \
  > "$STATE/istiod.env"
kubectl -n istio-system delete deployment istiod --ignore-not-found >/dev/null
kubectl -n istio-system delete hpa istiod --ignore-not-found >/dev/null
kubectl -n istio-system delete poddisruptionbudget istiod --ignore-not-found >/dev/null

# The webhooks reach the local istiod by URL instead of through the istiod Service.
"$TESTBED_ROOT/scripts/point-webhooks.sh"
fi

if need istiod; then
log "starting istiod (pilot-discovery) on 127.0.0.1"
(
  cd "$STATE/istiod-work"
  set -a
  source "$STATE/istiod.env"
  POD_NAMESPACE=istio-system POD_NAME=istiod-local REVISION=default PILOT_ENABLE_AMBIENT=true CLUSTER_ID=Kubernetes
  ISTIOD_CUSTOM_HOST=127.0.0.1,localhost KUBECONFIG="$KUBECONFIG_FILE" INJECTION_WEBHOOK_CONFIG_NAME=istio-sidecar-injector
  VALIDATION_WEBHOOK_CONFIG_NAME=istio-validator-istio-system
  # Debug xDS (istioctl proxy-status's syncz) over plaintext :15010, as the testbed has no tokens.
  ENABLE_DEBUG_ENDPOINT_AUTH=false
  set +a
  start istiod pilot-discovery discovery --kubeconfig "$KUBECONFIG_FILE" \
    --httpAddr "127.0.0.1:$ISTIOD_HTTP_PORT" --httpsAddr "127.0.0.1:$ISTIOD_WEBHOOK_PORT" \
    --grpcAddr "127.0.0.1:$ISTIOD_GRPC_PORT" --secureGRPCAddr "127.0.0.1:$ISTIOD_SECURE_GRPC_PORT" \
    --monitoringAddr "127.0.0.1:$ISTIOD_MONITORING_PORT" --log_output_level default:info
)
wait_until "istiod /ready" 180 istiod curl -fsS "http://127.0.0.1:$ISTIOD_HTTP_PORT/ready"
fi

if need testbed-cni; then
log "starting the CNI stand-in"
start testbed-cni testbed-cni --kubeconfig "$KUBECONFIG_FILE" --system-namespace istio-system
fi
if need testbed-ztunnel; then
log "starting the ztunnel admin stand-in"
start testbed-ztunnel testbed-ztunnel --kubeconfig "$KUBECONFIG_FILE" \
  --xds "127.0.0.1:$ISTIOD_GRPC_PORT" --listen "127.0.0.1:$ZTUNNEL_ADMIN_PORT"
wait_until "ztunnel admin stand-in" 60 testbed-ztunnel curl -fsS -o /dev/null "http://127.0.0.1:$ZTUNNEL_ADMIN_PORT/config_dump"
fi
if need testbed-envoy; then
log "starting the Envoy stand-in (every sidecar and waypoint pod)"
start testbed-envoy testbed-envoy --kubeconfig "$KUBECONFIG_FILE" \
  --xds "127.0.0.1:$ISTIOD_GRPC_PORT" --listen "127.0.0.1:$ENVOY_STATUS_PORT" --istio-version "$ISTIO_BUILD_VERSION"
wait_until "testbed-envoy /ready" 60 testbed-envoy curl -fsS "http://127.0.0.1:$ENVOY_STATUS_PORT/ready"
fi

if need testbed-traffic || need prometheus; then
log "starting the traffic stand-in and Prometheus"
start_telemetry "$BIN"
fi
# What a whole testbed must show before anyone relies on it (skipped when only some components start).
if (( ${#only[@]} == 0 )); then
log "waiting for ztunnel and istio-cni DaemonSets"
kubectl -n istio-system rollout status daemonset/ztunnel --timeout=120s >/dev/null
kubectl -n istio-system rollout status daemonset/istio-cni-node --timeout=120s >/dev/null
fi
# Injection must work before anyone relies on it: a server-side dry-run pod goes through the webhook.
if alive istiod && alive kube-apiserver && alive etcd; then
  wait_until "sidecar injection webhook" 120 istiod "$TESTBED_ROOT/scripts/check-injection.sh"
fi

touch "$STATE/up"
if ! $fresh; then log "started ${missing[*]} in $(( $(date +%s) - t0 ))s"; exit 0; fi
log "up in $(( $(date +%s) - t0 ))s"
cat >&2 <<MSG

  The testbed is up. Use it with:
    export KUBECONFIG=$KUBECONFIG_FILE
    export PATH=$BIN:\$PATH     # kubectl, istioctl at the testbed's versions
    kubectl get nodes; istioctl ztunnel-config workloads
  Load the sample mesh:  npm run testbed:sample
  Stop it:               npm run testbed:down
MSG
