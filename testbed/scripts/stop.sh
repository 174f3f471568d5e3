#!/usr/bin/env bash
# Stops one or more testbed components and keeps everything else: etcd's data, the PKI, the
# kubeconfig and the other processes. For fault tests: `npm run testbed:start -- NAME` (up.sh
# --only NAME) starts it again with the same state.
#   stop.sh NAME...         NAME: etcd kube-apiserver kube-controller-manager kube-scheduler kwok
#                           istiod testbed-cni testbed-ztunnel
#   stop.sh --kill NAME...  as a crash: SIGKILL, no graceful shutdown (the apiserver stops
#                           listening at once on SIGTERM but lingers ~15 s before it exits)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
signal=TERM
if [[ "${1:-}" == "--kill" ]]; then signal=KILL; shift; fi
(( $# > 0 )) || die "name a component to stop: ${PROCESSES[*]}"
for name in "$@"; do known_component "$name" || die "unknown component '$name'; components: ${PROCESSES[*]}"; done
[[ -d "$STATE" ]] || die "no testbed in $STATE"
exec 9>"$STATE/.lock"
flock 9
for name in "$@"; do
  if ! alive "$name"; then log "$name is not running"; rm -f "$STATE/pids/$name"; continue; fi
  pid="$(cat "$STATE/pids/$name")"
  # Each process leads its own session (setsid): signal the whole group.
  kill "-$signal" -- "-$pid" 2>/dev/null || kill "-$signal" "$pid" 2>/dev/null || true
  deadline=$(( $(date +%s) + 15 ))
  while kill -0 "$pid" 2>/dev/null; do
    if (( $(date +%s) > deadline )); then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
    sleep 0.1
  done
  rm -f "$STATE/pids/$name"
  # Its ports must be free, or a start would fail on them.
  for port in $(ports_of "$name"); do
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break; sleep 0.1; done
  done
  log "stopped $name$([[ $signal == KILL ]] && echo ' (killed)') (state kept; start it with: npm run testbed:start -- $name)"
done
