# Shared settings of the testbed scripts: where state lives and which ports are used.
# Every port is on 127.0.0.1 and can be moved with an environment variable.
TESTBED_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$TESTBED_ROOT/.." && pwd)"
STATE="${AMBIENT_TESTBED_DIR:-$REPO_ROOT/.testbed}"
ETCD_PORT="${TESTBED_ETCD_PORT:-23790}"
ETCD_PEER_PORT="${TESTBED_ETCD_PEER_PORT:-23800}"
APISERVER_PORT="${TESTBED_APISERVER_PORT:-16443}"
KWOK_PORT="${TESTBED_KWOK_PORT:-20250}"
ISTIOD_HTTP_PORT="${TESTBED_ISTIOD_HTTP_PORT:-18080}"
ISTIOD_GRPC_PORT="${TESTBED_ISTIOD_GRPC_PORT:-15010}"
ISTIOD_SECURE_GRPC_PORT="${TESTBED_ISTIOD_SECURE_GRPC_PORT:-15012}"
ISTIOD_WEBHOOK_PORT="${TESTBED_ISTIOD_WEBHOOK_PORT:-15017}"
ISTIOD_MONITORING_PORT="${TESTBED_ISTIOD_MONITORING_PORT:-15014}"
ZTUNNEL_ADMIN_PORT="${TESTBED_ZTUNNEL_ADMIN_PORT:-25000}"
PROMETHEUS_PORT="${TESTBED_PROMETHEUS_PORT:-29090}"
TRAFFIC_PORT="${TESTBED_TRAFFIC_PORT:-29100}"
# testbed-envoy's own status (/ready, /proxies); each proxy's admin API gets a free port of its own.
ENVOY_STATUS_PORT="${TESTBED_ENVOY_STATUS_PORT:-25100}"
ALL_PORTS=("$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" "$KWOK_PORT" "$ISTIOD_HTTP_PORT" "$ISTIOD_GRPC_PORT"
  "$ISTIOD_SECURE_GRPC_PORT" "$ISTIOD_WEBHOOK_PORT" "$ISTIOD_MONITORING_PORT" "$ZTUNNEL_ADMIN_PORT"
  "$PROMETHEUS_PORT" "$TRAFFIC_PORT" "$ENVOY_STATUS_PORT")
KUBECONFIG_FILE="$STATE/kubeconfig"
PROCESSES=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok istiod testbed-cni testbed-ztunnel testbed-envoy testbed-traffic prometheus)

known_component() { local n; for n in "${PROCESSES[@]}"; do [[ "$n" == "$1" ]] && return 0; done; return 1; }

# The ports a component listens on (checked free before it starts).
ports_of() {
  case "$1" in
    etcd) echo "$ETCD_PORT $ETCD_PEER_PORT" ;;
    kube-apiserver) echo "$APISERVER_PORT" ;;
    kwok) echo "$KWOK_PORT" ;;
    istiod) echo "$ISTIOD_HTTP_PORT $ISTIOD_GRPC_PORT $ISTIOD_SECURE_GRPC_PORT $ISTIOD_WEBHOOK_PORT $ISTIOD_MONITORING_PORT" ;;
    testbed-ztunnel) echo "$ZTUNNEL_ADMIN_PORT" ;;
  esac
}

log() { printf '[testbed %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Starts a process in its own session, logs to $STATE/logs/NAME.log, pid in $STATE/pids/NAME.
start() {
  local name="$1"; shift
  mkdir -p "$STATE/logs" "$STATE/pids"
  # 9>&- : the daemons must not inherit (and so hold forever) the testbed lock.
  setsid "$@" >"$STATE/logs/$name.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$STATE/pids/$name"
}

alive() { [[ -f "$STATE/pids/$1" ]] && kill -0 "$(cat "$STATE/pids/$1")" 2>/dev/null; }

# Waits until a command succeeds; the testbed's components have no watch to wait on yet.
wait_until() {
  local what="$1" timeout="$2" proc="$3"; shift 3
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$proc" ]] && ! alive "$proc"; then
      tail -n 30 "$STATE/logs/$proc.log" >&2 || true
      die "$proc exited while waiting for $what (log: $STATE/logs/$proc.log)"
    fi
    (( $(date +%s) < deadline )) || { [[ -n "$proc" ]] && tail -n 30 "$STATE/logs/$proc.log" >&2; die "timed out waiting for $what"; }
    sleep 0.5
  done
  # An answer from a process that is gone came from someone else on the port (another testbed).
  if [[ -n "$proc" ]] && ! alive "$proc"; then
    tail -n 30 "$STATE/logs/$proc.log" >&2 || true
    die "$proc exited, yet $what answered: another process holds its port (log: $STATE/logs/$proc.log)"
  fi
}

# The telemetry add-ons: the traffic stand-in and Debian's Prometheus scraping it every second
# (short, so that analyses in e2e tests see a change within seconds). Writes $STATE/prometheus-url
# and $STATE/traffic-url for the tests.
start_telemetry() {
  local bin="$1"
  command -v prometheus >/dev/null || die "prometheus is not installed (Debian: apt-get install prometheus)"
  alive testbed-traffic || start testbed-traffic "$bin/testbed-traffic" --kubeconfig "$KUBECONFIG_FILE" --listen "127.0.0.1:$TRAFFIC_PORT"
  cat > "$STATE/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
- job_name: testbed-traffic
  honor_labels: true
  static_configs: [{targets: ["127.0.0.1:$TRAFFIC_PORT"]}]
YAML
  mkdir -p "$STATE/prometheus-data"
  alive prometheus || start prometheus prometheus --config.file "$STATE/prometheus.yml" --storage.tsdb.path "$STATE/prometheus-data" \
    --storage.tsdb.retention.time 6h --web.listen-address "127.0.0.1:$PROMETHEUS_PORT"
  wait_until "traffic stand-in" 30 testbed-traffic curl -fsS "http://127.0.0.1:$TRAFFIC_PORT/healthz"
  wait_until "prometheus /-/ready" 60 prometheus curl -fsS "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"
  echo "http://127.0.0.1:$PROMETHEUS_PORT" > "$STATE/prometheus-url"
  echo "http://127.0.0.1:$TRAFFIC_PORT" > "$STATE/traffic-url"
}
