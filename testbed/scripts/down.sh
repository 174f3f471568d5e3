#!/usr/bin/env bash
# Stops every testbed process and checks that no process and no port is left behind.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
quiet=false; [[ "${1:-}" == "--quiet" ]] && quiet=true
# Not while an up.sh holds the lock (it calls us itself, already holding it, with --quiet).
if ! $quiet && [[ -d "$STATE" ]]; then exec 9>"$STATE/.lock"; flock 9; fi
for name in "${PROCESSES[@]}"; do
  pidfile="$STATE/pids/$name"
  [[ -f "$pidfile" ]] || continue
  pid="$(cat "$pidfile")"
  # Each process leads its own session (setsid): signal the whole group.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
done
deadline=$(( $(date +%s) + 20 ))
for name in "${PROCESSES[@]}"; do
  pidfile="$STATE/pids/$name"
  [[ -f "$pidfile" ]] || continue
  pid="$(cat "$pidfile")"
  while kill -0 "$pid" 2>/dev/null; do
    if (( $(date +%s) > deadline )); then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
    sleep 0.2
  done
  rm -f "$pidfile"
done
rm -f "$STATE/up"
rm -rf "$STATE/etcd" "$STATE/prometheus-data" "$STATE/prometheus-url" "$STATE/traffic-url"
busy=()
for port in "${ALL_PORTS[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then busy+=("$port"); fi
done
if (( ${#busy[@]} > 0 )); then
  log "error: ports still in use after down: ${busy[*]}"
  exit 1
fi
# No process of the testbed may survive, whoever started it (they all name a file in $STATE).
left="$(pgrep -af -- "$STATE/" | grep -E '^[0-9]+ (etcd|kube-apiserver|kube-controller-manager|kube-scheduler|kwok|pilot-discovery|testbed-cni|testbed-ztunnel|testbed-envoy|\S*testbed-traffic|prometheus) ' || true)"
if [[ -n "$left" ]]; then
  log "error: testbed processes still running after down:"
  echo "$left" >&2
  exit 1
fi
$quiet || log "down: no testbed process or port left"
