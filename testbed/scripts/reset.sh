#!/usr/bin/env bash
# Starts the testbed afresh: stops everything, drops etcd's data, and brings up a new cluster.
# (up.sh never wipes a cluster that holds data; this is the explicit way to.)
set -euo pipefail
here="$(dirname "$0")"
"$here/down.sh"
exec "$here/up.sh"
