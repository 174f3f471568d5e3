// Command testbed-traffic stands in for the mesh's data plane telemetry on a testbed where no
// container runs: for every Service whose pods are in the mesh, it counts synthetic requests
// into the series Istio's proxies export, with the labels they use, and serves them to
// Prometheus. What reports follows the pods, read from the apiserver: a pod with a sidecar
// gives reporter="source"/"destination" L7 series; an ambient pod (redirected by the CNI) behind
// a running waypoint gives reporter="waypoint" L7 series plus ztunnel's TCP series; an ambient
// pod without a waypoint gives ztunnel's TCP series only. Series of proxies that are gone
// disappear, as they do when a sidecar's pod is deleted.
//
// A control endpoint injects faults per namespace or Service:
//
//	POST   /faults?namespace=NS[&service=SVC][&errorRate=0.5][&latencyMs=300][&traffic=off]
//	DELETE /faults[?namespace=NS]
//	GET    /faults
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"net/http"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	redirectionAnnotation = "ambient.istio.io/redirection"
	useWaypointLabel      = "istio.io/use-waypoint"
	waypointNamespace     = "istio.io/use-waypoint-namespace"
	gatewayNameLabel      = "gateway.networking.k8s.io/gateway-name"
	clusterID             = "Kubernetes"
	// The caller the stand-in sends every request from, in the destination's namespace.
	client = "loadgen"
)

// Istio's default buckets for istio_request_duration_milliseconds.
var durationBuckets = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

var l7Labels = []string{
	"reporter", "source_workload", "source_workload_namespace", "source_principal", "source_app", "source_version",
	"source_canonical_service", "source_canonical_revision", "source_cluster",
	"destination_workload", "destination_workload_namespace", "destination_principal", "destination_app",
	"destination_version", "destination_service", "destination_service_name", "destination_service_namespace",
	"destination_canonical_service", "destination_canonical_revision", "destination_cluster",
	"request_protocol", "response_code", "grpc_response_status", "response_flags", "connection_security_policy",
}

var tcpLabels = []string{
	"reporter", "source_workload", "source_workload_namespace", "source_principal", "source_app", "source_version",
	"source_canonical_service", "source_canonical_revision", "source_cluster",
	"destination_service", "destination_service_namespace", "destination_service_name",
	"destination_workload", "destination_canonical_service", "destination_canonical_revision",
	"destination_workload_namespace", "destination_principal", "destination_app", "destination_version",
	"destination_cluster", "request_protocol", "response_flags", "connection_security_policy",
}

type fault struct {
	Namespace  string  `json:"namespace"`
	Service    string  `json:"service,omitempty"`
	ErrorRate  float64 `json:"errorRate"`
	LatencyMs  float64 `json:"latencyMs"`
	TrafficOff bool    `json:"trafficOff"`
}

// family is one metric name as the proxies export it.
type family struct {
	name, help string
	histogram  bool
	labels     []string
}

var (
	requestsTotal   = &family{name: "istio_requests_total", help: "Total requests.", labels: l7Labels}
	requestDuration = &family{name: "istio_request_duration_milliseconds", help: "Request duration in milliseconds.", histogram: true, labels: l7Labels}
	tcpOpened       = &family{name: "istio_tcp_connections_opened_total", help: "The total number of TCP connections opened", labels: tcpLabels}
	tcpClosed       = &family{name: "istio_tcp_connections_closed_total", help: "The total number of TCP connections closed", labels: tcpLabels}
	tcpReceived     = &family{name: "istio_tcp_received_bytes_total", help: "The size of total bytes received during request in case of a TCP connection", labels: tcpLabels}
	tcpSent         = &family{name: "istio_tcp_sent_bytes_total", help: "The size of total bytes sent during response in case of a TCP connection", labels: tcpLabels}
	families        = []*family{requestsTotal, requestDuration, tcpOpened, tcpClosed, tcpReceived, tcpSent}
)

// series is one exported series and when a proxy last reported it: a counter's value, or a
// histogram's per-bucket counts, sum and count.
type series struct {
	fam     *family
	labels  string // rendered {a="b",...} without the braces
	value   float64
	buckets []uint64
	sum     float64
	count   uint64
	seen    time.Time
}

type stand struct {
	pods       listersv1.PodLister
	services   listersv1.ServiceLister
	namespaces listersv1.NamespaceLister

	mu     sync.Mutex
	faults map[string]fault // key: namespace or namespace/service
	live   map[string]*series
	errAcc map[string]float64
	tick   int
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster")
	listen := flag.String("listen", "127.0.0.1:29100", "address of /metrics and /faults")
	interval := flag.Duration("tick", 200*time.Millisecond, "how often requests are counted")
	perTick := flag.Int("requests", 4, "requests per Service per tick")
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("testbed-traffic: ")

	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatalf("kubeconfig: %v", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		log.Fatalf("client: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	factory := informers.NewSharedInformerFactory(cs, 0)
	s := newStand(factory)
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			log.Fatalf("cache for %v did not sync", typ)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", s.serveMetrics)
	mux.HandleFunc("/faults", s.serveFaults)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	server := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = server.Close()
	}()
	go func() {
		t := time.NewTicker(*interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				s.step(now, *perTick, 2*time.Second)
			}
		}
	}()
	log.Printf("serving /metrics and /faults on %s", *listen)
	if err := server.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

func newStand(factory informers.SharedInformerFactory) *stand {
	s := &stand{
		pods:       factory.Core().V1().Pods().Lister(),
		services:   factory.Core().V1().Services().Lister(),
		namespaces: factory.Core().V1().Namespaces().Lister(),
		faults:     map[string]fault{},
		live:       map[string]*series{},
		errAcc:     map[string]float64{},
	}
	// Listers only work once their informers exist.
	factory.Core().V1().Pods().Informer()
	factory.Core().V1().Services().Informer()
	factory.Core().V1().Namespaces().Informer()
	return s
}

type mode int

const (
	outside mode = iota
	sidecar
	ambient
)

func podMode(p *corev1.Pod) mode {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
		return outside
	}
	for _, c := range append(append([]corev1.Container{}, p.Spec.Containers...), p.Spec.InitContainers...) {
		if c.Name == "istio-proxy" {
			return sidecar
		}
	}
	if p.Annotations[redirectionAnnotation] == "enabled" {
		return ambient
	}
	return outside
}

// workloadName is what Istio derives for a Deployment's pod: the ReplicaSet owner minus its hash.
func workloadName(p *corev1.Pod) string {
	for _, o := range p.OwnerReferences {
		if o.Kind == "ReplicaSet" {
			if i := strings.LastIndex(o.Name, "-"); i > 0 {
				return o.Name[:i]
			}
		}
		return o.Name
	}
	return p.Name
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// waypointOf: the waypoint a Service's traffic goes through, if it has running pods.
func (s *stand) waypointOf(svc *corev1.Service) bool {
	name, ns := svc.Labels[useWaypointLabel], svc.Labels[waypointNamespace]
	if name == "" {
		if n, err := s.namespaces.Get(svc.Namespace); err == nil {
			name, ns = n.Labels[useWaypointLabel], n.Labels[waypointNamespace]
		}
	}
	if name == "" || name == "none" {
		return false
	}
	ns = orDefault(ns, svc.Namespace)
	pods, _ := s.pods.Pods(ns).List(labels.SelectorFromSet(labels.Set{gatewayNameLabel: name}))
	for _, p := range pods {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			return true
		}
	}
	return false
}

func (s *stand) faultFor(ns, svc string) fault {
	if f, ok := s.faults[ns+"/"+svc]; ok {
		return f
	}
	return s.faults[ns]
}

// add counts into a series (observes, for a histogram) and marks it as reported now.
func (s *stand) add(f *family, values []string, v float64, now time.Time) {
	parts := make([]string, len(values))
	for i, name := range f.labels {
		parts[i] = name + "=" + strconv.Quote(values[i])
	}
	labelText := strings.Join(parts, ",")
	key := f.name + "{" + labelText + "}"
	e, ok := s.live[key]
	if !ok {
		e = &series{fam: f, labels: labelText}
		if f.histogram {
			e.buckets = make([]uint64, len(durationBuckets))
		}
		s.live[key] = e
	}
	e.seen = now
	if !f.histogram {
		e.value += v
		return
	}
	for i, le := range durationBuckets {
		if v <= le {
			e.buckets[i]++
		}
	}
	e.sum += v
	e.count++
}

// serveMetrics writes Prometheus's text exposition format (version 0.0.4).
func (s *stand) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.live))
	for k := range s.live {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	w.Header().Set("content-type", "text/plain; version=0.0.4; charset=utf-8")
	var b strings.Builder
	for _, f := range families {
		typ := "counter"
		if f.histogram {
			typ = "histogram"
		}
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", f.name, f.help, f.name, typ)
		for _, k := range keys {
			e := s.live[k]
			if e.fam != f {
				continue
			}
			if !f.histogram {
				fmt.Fprintf(&b, "%s{%s} %s\n", f.name, e.labels, strconv.FormatFloat(e.value, 'g', -1, 64))
				continue
			}
			for i, le := range durationBuckets {
				fmt.Fprintf(&b, "%s_bucket{%s,le=\"%s\"} %d\n", f.name, e.labels, strconv.FormatFloat(le, 'g', -1, 64), e.buckets[i])
			}
			fmt.Fprintf(&b, "%s_bucket{%s,le=\"+Inf\"} %d\n", f.name, e.labels, e.count)
			fmt.Fprintf(&b, "%s_sum{%s} %s\n%s_count{%s} %d\n", f.name, e.labels, strconv.FormatFloat(e.sum, 'g', -1, 64), f.name, e.labels, e.count)
		}
	}
	_, _ = w.Write([]byte(b.String()))
}

func (s *stand) step(now time.Time, perTick int, ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick++
	services, _ := s.services.List(labels.Everything())
	for _, svc := range services {
		if _, isWaypoint := svc.Labels[gatewayNameLabel]; isWaypoint || len(svc.Spec.Selector) == 0 {
			continue
		}
		f := s.faultFor(svc.Namespace, svc.Name)
		if f.TrafficOff {
			continue
		}
		pods, _ := s.pods.Pods(svc.Namespace).List(labels.SelectorFromSet(svc.Spec.Selector))
		var meshed []*corev1.Pod
		for _, p := range pods {
			if podMode(p) != outside {
				meshed = append(meshed, p)
			}
		}
		if len(meshed) == 0 {
			continue
		}
		sort.Slice(meshed, func(i, j int) bool { return meshed[i].Name < meshed[j].Name })
		waypoint := s.waypointOf(svc)
		key := svc.Namespace + "/" + svc.Name
		s.errAcc[key] += float64(perTick) * f.ErrorRate
		errors := int(math.Floor(s.errAcc[key]))
		s.errAcc[key] -= float64(errors)
		for i := 0; i < perTick; i++ {
			p := meshed[(s.tick*perTick+i)%len(meshed)]
			failed := i < errors
			latency := []float64{8, 12, 20, 30, 45}[(s.tick+i)%5] + f.LatencyMs
			s.request(svc, p, waypoint, failed, latency, now)
		}
	}
	for key, e := range s.live {
		if now.Sub(e.seen) > ttl {
			delete(s.live, key)
		}
	}
}

// request records one request from the loadgen caller to pod p behind svc, as the proxies on
// its path would.
func (s *stand) request(svc *corev1.Service, p *corev1.Pod, waypoint, failed bool, latencyMs float64, now time.Time) {
	ns := svc.Namespace
	app := orDefault(p.Labels["app"], workloadName(p))
	version := orDefault(p.Labels["version"], "latest")
	sa := orDefault(p.Spec.ServiceAccountName, "default")
	common := map[string]string{
		"source_workload": client, "source_workload_namespace": ns,
		"source_principal": "spiffe://cluster.local/ns/" + ns + "/sa/" + client,
		"source_app":       client, "source_version": "latest", "source_canonical_service": client,
		"source_canonical_revision": "latest", "source_cluster": clusterID,
		"destination_workload": workloadName(p), "destination_workload_namespace": ns,
		"destination_principal": "spiffe://cluster.local/ns/" + ns + "/sa/" + sa,
		"destination_app":       app, "destination_version": version,
		"destination_service":      svc.Name + "." + ns + ".svc.cluster.local",
		"destination_service_name": svc.Name, "destination_service_namespace": ns,
		"destination_canonical_service": app, "destination_canonical_revision": version,
		"destination_cluster": clusterID,
	}
	values := func(names []string, extra map[string]string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			if v, ok := extra[n]; ok {
				out[i] = v
			} else {
				out[i] = common[n]
			}
		}
		return out
	}
	code, flags := "200", "-"
	if failed {
		code = "503"
	}
	l7 := func(reporter, security string) {
		v := values(l7Labels, map[string]string{
			"reporter": reporter, "request_protocol": "http", "response_code": code,
			"grpc_response_status": "", "response_flags": flags, "connection_security_policy": security,
		})
		s.add(requestsTotal, v, 1, now)
		s.add(requestDuration, v, latencyMs, now)
	}
	tcp := func(reporter, responseFlags string) {
		v := values(tcpLabels, map[string]string{
			"reporter": reporter, "request_protocol": "tcp", "response_flags": responseFlags,
			"connection_security_policy": "mutual_tls",
		})
		s.add(tcpOpened, v, 1, now)
		s.add(tcpClosed, v, 1, now)
		s.add(tcpReceived, v, 512, now)
		s.add(tcpSent, v, 2048, now)
	}
	switch {
	case podMode(p) == sidecar:
		l7("source", "unknown")
		l7("destination", "mutual_tls")
	case waypoint:
		l7("waypoint", "mutual_tls")
		tcp("source", "-")
		tcp("destination", "-")
	default:
		// No waypoint: ztunnel alone; a failure is a connection closed with a flag.
		tcpFlags := "-"
		if failed {
			tcpFlags = "CONNECT"
		}
		tcp("source", tcpFlags)
		tcp("destination", tcpFlags)
	}
}

func (s *stand) serveFaults(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		f := fault{Namespace: q.Get("namespace"), Service: q.Get("service"), TrafficOff: q.Get("traffic") == "off"}
		if f.Namespace == "" {
			http.Error(w, "namespace is required", http.StatusBadRequest)
			return
		}
		var err error
		if v := q.Get("errorRate"); v != "" {
			if f.ErrorRate, err = strconv.ParseFloat(v, 64); err != nil || f.ErrorRate < 0 || f.ErrorRate > 1 {
				http.Error(w, "errorRate: a number from 0 to 1", http.StatusBadRequest)
				return
			}
		}
		if v := q.Get("latencyMs"); v != "" {
			if f.LatencyMs, err = strconv.ParseFloat(v, 64); err != nil || f.LatencyMs < 0 {
				http.Error(w, "latencyMs: a number of milliseconds", http.StatusBadRequest)
				return
			}
		}
		key := f.Namespace
		if f.Service != "" {
			key += "/" + f.Service
		}
		s.faults[key] = f
		log.Printf("fault set: %+v", f)
	case http.MethodDelete:
		ns := q.Get("namespace")
		for key, f := range s.faults {
			if ns == "" || f.Namespace == ns {
				delete(s.faults, key)
			}
		}
		log.Printf("faults cleared (namespace %q)", ns)
	default:
		http.Error(w, "GET, POST or DELETE", http.StatusMethodNotAllowed)
		return
	}
	list := make([]fault, 0, len(s.faults))
	for _, f := range s.faults {
		list = append(list, f)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Namespace+list[i].Service < list[j].Namespace+list[j].Service })
	w.Header().Set("content-type", "application/json")
	_ = json.NewEncoder(w).Encode(list)
}
