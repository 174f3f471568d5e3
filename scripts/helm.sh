#!/usr/bin/env bash
# helm, for the chart's e2e test: built once from the Go module proxy (the one registry the test
# machines reach besides npm's) into the user's cache, then reused. Go is already needed for the
# testbed. Usage: scripts/helm.sh template ... (any helm arguments).
set -euo pipefail
version=v3.17.3
dir="${XDG_CACHE_HOME:-$HOME/.cache}/ambient-migrate/helm-$version"
if [[ ! -x "$dir/helm" ]]; then
  export PATH="$PATH:/usr/local/go/bin"
  echo "building helm $version from the Go module proxy into $dir (once: a few minutes)" >&2
  GOBIN="$dir" go install -trimpath "helm.sh/helm/v3/cmd/helm@$version"
fi
exec "$dir/helm" "$@"
