// Command testbed-envoy stands in for the Envoy of every istio-proxy on a testbed without a
// container runtime. For each running pod with an istio-proxy container (classic or native
// sidecar) and each waypoint pod, it opens a delta ADS stream to the real istiod as that pod's
// Envoy, with the node id and metadata pilot-agent would send (see internal/envoy), and serves
// Envoy's admin API (/config_dump, /clusters) for that pod. kwok forwards the pod's port 15000
// to it through a per-pod PortForward object, so `istioctl proxy-config` and
// `istioctl proxy-status` work unchanged. It carries no traffic.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/emptypb"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	// Every Envoy and Istio filter type istiod may send, so the dump can print their typed configs.
	_ "istio.io/api/envoy/extensions/stats"
	_ "istio.io/istio/pkg/config/xds"

	"github.com/ambient-migrate/testbed/internal/envoy"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster")
	xdsAddr := flag.String("xds", "127.0.0.1:15010", "istiod's plaintext xDS address")
	listen := flag.String("listen", "127.0.0.1:15100", "address serving the stand-in's own status (/ready, /proxies)")
	adminHost := flag.String("admin-host", "127.0.0.1", "host each proxy's admin API listens on (a free port each; kwok forwards the pod's 15000 there)")
	istioVersion := flag.String("istio-version", "", "ISTIO_VERSION sent when the pod does not set ISTIO_META_ISTIO_VERSION (pilot-agent sends its build's)")
	flag.Parse()
	log.SetOutput(os.Stderr)
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("testbed-envoy: ")
	if *kubeconfig == "" {
		log.Fatal("--kubeconfig is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatalf("kubeconfig: %v", err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		log.Fatalf("kubernetes: %v", err)
	}
	forwards, err := newPortForwards(cfg)
	if err != nil {
		log.Fatalf("kubernetes: %v", err)
	}
	// One connection, one stream per proxy: istiod tells proxies apart by stream.
	conn, err := grpc.NewClient(*xdsAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(math.MaxInt32)))
	if err != nil {
		log.Fatalf("xds: %v", err)
	}
	defer conn.Close()

	m := &manager{ctx: ctx, conn: conn, forwards: forwards, adminHost: *adminHost, istioVersion: *istioVersion, proxies: map[string]*proxy{}}
	factory := informers.NewSharedInformerFactory(kube, 0)
	podInformer := factory.Core().V1().Pods().Informer()
	_, _ = podInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { m.reconcile(o.(*corev1.Pod)) },
		UpdateFunc: func(_, o any) { m.reconcile(o.(*corev1.Pod)) },
		DeleteFunc: func(o any) {
			if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
				o = t.Obj
			}
			if p, ok := o.(*corev1.Pod); ok {
				m.stop(p.Namespace+"/"+p.Name, true)
			}
		},
	})
	factory.Start(ctx.Done())
	var synced sync.WaitGroup
	synced.Add(1)
	go func() {
		factory.WaitForCacheSync(ctx.Done())
		synced.Done()
		log.Printf("kubernetes: watching pods")
	}()

	mux := http.NewServeMux()
	mux.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !podInformer.HasSynced() {
			http.Error(w, "pods not listed yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("/proxies", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(m.status())
	})
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	log.Printf("status on http://%s/proxies; istiod at %s", lis.Addr(), *xdsAddr)
	if err := srv.Serve(lis); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
	m.stopAll()
}

type manager struct {
	ctx          context.Context
	conn         *grpc.ClientConn
	forwards     *portForwards
	adminHost    string
	istioVersion string

	mu      sync.Mutex
	proxies map[string]*proxy
}

// proxy is one pod's stand-in Envoy: its xDS stream and its admin listener.
type proxy struct {
	uid, ip string
	id      *envoy.Identity
	xds     *xdsProxy
	admin   *http.Server
	port    int
	cancel  context.CancelFunc
}

func wanted(p *corev1.Pod) bool {
	return p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" &&
		envoy.ProxyContainer(p) != nil
}

func (m *manager) reconcile(pod *corev1.Pod) {
	key := pod.Namespace + "/" + pod.Name
	if !wanted(pod) {
		m.stop(key, true)
		return
	}
	m.mu.Lock()
	cur := m.proxies[key]
	m.mu.Unlock()
	if cur != nil && cur.uid == string(pod.UID) && cur.ip == pod.Status.PodIP {
		return
	}
	m.stop(key, false) // a new pod instance: its forward is re-pointed below
	id, err := envoy.IdentityOf(pod, m.istioVersion)
	if err != nil {
		log.Printf("%s: %v", key, err)
		return
	}
	p, err := m.start(key, pod, id)
	if err != nil {
		log.Printf("%s: %v", key, err)
		return
	}
	m.mu.Lock()
	m.proxies[key] = p
	m.mu.Unlock()
}

func (m *manager) start(key string, pod *corev1.Pod, id *envoy.Identity) (*proxy, error) {
	lis, err := net.Listen("tcp", net.JoinHostPort(m.adminHost, "0"))
	if err != nil {
		return nil, fmt.Errorf("admin listener: %w", err)
	}
	ctx, cancel := context.WithCancel(m.ctx)
	store := envoy.NewStore()
	p := &proxy{
		uid: string(pod.UID), ip: pod.Status.PodIP, id: id, cancel: cancel,
		port: lis.Addr().(*net.TCPAddr).Port,
		xds:  &xdsProxy{conn: m.conn, key: key, node: id.Node, store: store},
	}
	p.admin = &http.Server{Handler: adminMux(store, id), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.admin.Serve(lis) }()
	go p.xds.run(ctx)
	go m.forwards.ensure(ctx, pod, p.port, m.adminHost)
	log.Printf("%s: %s proxy, admin on %s", key, id.Type, lis.Addr())
	return p, nil
}

func (m *manager) stop(key string, removeForward bool) {
	m.mu.Lock()
	p := m.proxies[key]
	delete(m.proxies, key)
	m.mu.Unlock()
	if p == nil {
		return
	}
	p.cancel()
	_ = p.admin.Close()
	if removeForward {
		ns, name, _ := strings.Cut(key, "/")
		go m.forwards.remove(ns, name)
	}
	log.Printf("%s: stopped", key)
}

func (m *manager) stopAll() {
	m.mu.Lock()
	keys := make([]string, 0, len(m.proxies))
	for k := range m.proxies {
		keys = append(keys, k)
	}
	m.mu.Unlock()
	for _, k := range keys {
		m.stop(k, false) // on exit: the next testbed-envoy re-points them
	}
}

type proxyStatus struct {
	Pod       string `json:"pod"`
	Type      string `json:"type"`
	NodeID    string `json:"nodeId"`
	AdminPort int    `json:"adminPort"`
	Connected bool   `json:"connected"`
	Responses int    `json:"responses"`
	LastError string `json:"lastError,omitempty"`
}

func (m *manager) status() []proxyStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []proxyStatus{}
	for k, p := range m.proxies {
		p.xds.mu.Lock()
		out = append(out, proxyStatus{
			Pod: k, Type: p.id.Type, NodeID: p.id.ID, AdminPort: p.port,
			Connected: p.xds.connected, Responses: p.xds.responses, LastError: p.xds.lastErr,
		})
		p.xds.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b proxyStatus) int { return strings.Compare(a.Pod, b.Pod) })
	return out
}

// Envoy prints its admin JSON with proto field names. A typed config this build does not know
// (an Istio extension) is printed as its @type alone, which istioctl reads as a placeholder.
var dumpJSON = protojson.MarshalOptions{Multiline: true, Indent: "  ", UseProtoNames: true, Resolver: lenientResolver{}}

type lenientResolver struct{}

func (lenientResolver) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	if mt, err := protoregistry.GlobalTypes.FindMessageByURL(url); err == nil {
		return mt, nil
	}
	return (&emptypb.Empty{}).ProtoReflect().Type(), nil
}

func (lenientResolver) FindMessageByName(n protoreflect.FullName) (protoreflect.MessageType, error) {
	return protoregistry.GlobalTypes.FindMessageByName(n)
}

func (lenientResolver) FindExtensionByName(n protoreflect.FullName) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByName(n)
}

func (lenientResolver) FindExtensionByNumber(m protoreflect.FullName, n protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByNumber(m, n)
}

func writeProto(w http.ResponseWriter, m proto.Message) {
	body, err := dumpJSON.Marshal(m)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func adminMux(store *envoy.Store, id *envoy.Identity) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/config_dump", func(w http.ResponseWriter, r *http.Request) {
		// Sections are picked by @type (as istioctl does), so ?mask= is not needed to be honoured.
		writeProto(w, store.ConfigDump(id.Node, r.URL.Query().Get("include_eds") != ""))
	})
	mux.HandleFunc("/clusters", func(w http.ResponseWriter, r *http.Request) {
		clusters := store.Clusters()
		if r.URL.Query().Get("format") == "json" {
			writeProto(w, clusters)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		for _, c := range clusters.ClusterStatuses {
			for _, h := range c.HostStatuses {
				a := h.GetAddress().GetSocketAddress()
				fmt.Fprintf(w, "%s::%s:%d::health_flags::healthy\n", c.Name, a.GetAddress(), a.GetPortValue())
			}
		}
	})
	mux.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "LIVE") })
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "admin commands are:\n  /: print this help message\n  /clusters: upstream cluster status\n  /config_dump: dump current Envoy configs\n  /ready: print server state")
	})
	return mux
}
