#!/usr/bin/env bash
# Builds every real component of the testbed from source at the versions pinned in
# versions.env and go.sum, into a cache keyed by those inputs, and reuses it when warm.
# Prints the cache directory on the last line of stdout.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
source ./versions.env

cache_root="${AMBIENT_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ambient-migrate/testbed}"
# Upstream binaries are keyed by the pinned versions only; the testbed's own small commands
# (etcd's main, the node-agent stand-ins) are rebuilt incrementally on every call.
# The data files are rewritten on every call, so versions used only for data stay out of the key.
key="$(grep -v '^PROMETHEUS_OPERATOR_VERSION=' versions.env | cat - go.mod go.sum | sha256sum | cut -c1-16)"
out="$cache_root/$key"
bin="$out/bin"
components=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok pilot-discovery istioctl testbed-cni testbed-ztunnel testbed-traffic testbed-envoy)
export GOFLAGS="${GOFLAGS:-} -mod=mod"
export CGO_ENABLED=0

# Data the testbed needs: Gateway API CRDs and kwok's stages (same module graph), monitoring CRDs.
prepare_data() {
  local gwdir kwokdir
  gwdir="$(go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api)"
  kwokdir="$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
  [[ -n "$gwdir" && -n "$kwokdir" ]] || { go mod download sigs.k8s.io/gateway-api sigs.k8s.io/kwok; prepare_data; return; }
  rm -rf "$out/data" && mkdir -p "$out/data"
  for f in "$gwdir"/config/crd/experimental/gateway.networking*.yaml; do echo "---"; cat "$f"; done \
    > "$out/data/gateway-api-crds.yaml"
  cp -r "$kwokdir/kustomize/stage" "$out/data/kwok-stage"
  # kwok's per-pod PortForward CRD: testbed-envoy points each proxy pod's port 15000 at itself.
  cp "$kwokdir/kustomize/crd/bases/kwok.x-k8s.io_portforwards.yaml" "$out/data/kwok-portforwards-crd.yaml"
  monitoring_crds > "$out/data/monitoring-crds.yaml"
  chmod -R u+w "$out/data"
}

# prometheus-operator's CRDs (monitoring.coreos.com), downloaded from the Go module proxy outside
# the testbed's module: adding it to go.mod would change the build cache key.
monitoring_crds() {
  local podir
  podir="$(cd / && GOFLAGS= GOWORK=off go mod download -json \
    "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" |
    sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  [[ -n "$podir" ]] || { echo "testbed: cannot download prometheus-operator $PROMETHEUS_OPERATOR_VERSION" >&2; return 1; }
  for kind in podmonitors servicemonitors prometheusrules prometheuses; do
    echo "---"; sed '/^---$/d' "$podir/example/prometheus-operator-crd/monitoring.coreos.com_$kind.yaml"
  done
}

build_own() {
  go build -trimpath -o "$bin/" ./cmd/...
}

if [[ -f "$out/.complete" ]]; then
  build_own
  prepare_data
  echo "testbed binaries: warm cache $out (cold build took $(cat "$out/.build-seconds")s)" >&2
  echo "$out"
  exit 0
fi

mkdir -p "$bin"
start=$(date +%s)
k8s_minor="$(echo "$KUBERNETES_VERSION" | cut -d. -f2)"
k8s_ld=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ld+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
  k8s_ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
istio_ld="-X istio.io/istio/pkg/version.buildVersion=$ISTIO_BUILD_VERSION"
istio_ld+=" -X istio.io/istio/pkg/version.buildGitRevision=${ISTIO_VERSION##*-}"
istio_ld+=" -X istio.io/istio/pkg/version.buildStatus=Clean -X istio.io/istio/pkg/version.buildTag=$ISTIO_BUILD_VERSION"

echo "testbed: building ${components[*]} (cold build: about 8 minutes on 2 cores, module download included)" >&2
go build -trimpath -ldflags "-s -w $k8s_ld $istio_ld" -o "$bin/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubectl \
  sigs.k8s.io/kwok/cmd/kwok \
  istio.io/istio/pilot/cmd/pilot-discovery \
  istio.io/istio/istioctl/cmd/istioctl
build_own
prepare_data

for c in "${components[@]}"; do [[ -x "$bin/$c" ]] || { echo "testbed: $c was not built" >&2; exit 1; }; done
secs=$(( $(date +%s) - start ))
echo "$secs" > "$out/.build-seconds"
touch "$out/.complete"
echo "testbed binaries: built in ${secs}s into $out" >&2
echo "$out"
