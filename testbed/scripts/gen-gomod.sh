#!/usr/bin/env bash
# Writes testbed/go.mod: Kubernetes, kwok, etcd and Istio as Go dependencies at pinned versions.
# k8s.io/kubernetes pins its ~30 staging modules at v0.0.0 with replace => ./staging/...; a
# dependency's replaces are ignored, so we replace each one by its published v0.X.Y.
# The list is generated from k8s.io/kubernetes's own go.mod, never typed by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
source ./versions.env
modfile="$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@${KUBERNETES_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
staging_version="v0${KUBERNETES_VERSION#v1}"
{
  echo "module github.com/ambient-migrate/testbed"
  echo
  echo "go ${GO_VERSION}"
  echo
  echo "require ("
  echo "	k8s.io/kubernetes ${KUBERNETES_VERSION}"
  echo "	sigs.k8s.io/kwok ${KWOK_VERSION}"
  echo "	istio.io/istio ${ISTIO_VERSION}"
  echo "	go.etcd.io/etcd/server/v3 ${ETCD_VERSION}"
  echo "	sigs.k8s.io/gateway-api ${GATEWAY_API_VERSION}"
  echo ")"
  echo
  echo "replace ("
  grep -E '^\s+k8s\.io/[a-z0-9-]+ => \./staging/' "$modfile" | awk -v v="$staging_version" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
} > go.mod
echo "wrote testbed/go.mod ($(grep -c '=> k8s.io' go.mod) staging replaces at ${staging_version})"
