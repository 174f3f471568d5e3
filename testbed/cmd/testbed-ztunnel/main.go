// Command testbed-ztunnel stands in for ztunnel's admin endpoint on a testbed without a container
// runtime. It connects to istiod over delta xDS exactly as a ztunnel does (node id "ztunnel~...",
// wildcard istio.workload.Address and istio.security.Authorization) and serves what istiod sent,
// in ztunnel's own JSON, on GET /config_dump. Pods the CNI captured (annotation
// ambient.istio.io/redirection=enabled) appear in "workloadState", as ztunnel lists the pods the
// CNI agent handed it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/clientcmd"

	"istio.io/istio/cni/pkg/util"

	"github.com/ambient-migrate/testbed/internal/ztunnel"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster (for workloadState: the pods the CNI captured)")
	xdsAddr := flag.String("xds", "127.0.0.1:15010", "istiod's plaintext xDS address")
	listen := flag.String("listen", "127.0.0.1:15000", "admin address serving /config_dump")
	node := flag.String("node", "", "node this ztunnel runs on (default: none, i.e. one stand-in for every node)")
	clusterID := flag.String("cluster-id", "Kubernetes", "cluster id sent to istiod")
	podName := flag.String("pod-name", "ztunnel-testbed", "pod name sent to istiod in the node id")
	podNamespace := flag.String("pod-namespace", "istio-system", "namespace sent to istiod in the node id")
	flag.Parse()
	log.SetOutput(os.Stderr)
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("testbed-ztunnel: ")

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	store := ztunnel.NewStore()
	var once sync.Once
	client := &xdsClient{
		addr:   *xdsAddr,
		id:     identity{IP: "127.0.0.1", PodName: *podName, Namespace: *podNamespace, NodeName: *node, ClusterID: *clusterID},
		store:  store,
		onSync: func() { once.Do(func() { log.Printf("xds: initial state received") }) },
	}
	go client.run(ctx)

	var captured *capturedPods
	if *kubeconfig != "" {
		var err error
		if captured, err = watchCapturedPods(ctx, *kubeconfig, *node); err != nil {
			log.Fatalf("kubernetes: %v", err)
		}
	} else {
		log.Printf("no --kubeconfig: workloadState stays empty")
	}

	extras := func() ztunnel.Extras {
		var localNode *string
		if *node != "" {
			localNode = node
		}
		return ztunnel.Extras{
			Version: ztunnel.BuildInfo{
				Version: "testbed-ztunnel", BuildProfile: "stand-in", BuildStatus: "Clean",
				IstioVersion: envOr("ISTIO_META_ISTIO_VERSION", "unknown"),
			},
			Config: ztunnel.Config{
				Proxy: true, DNSProxy: true, LocalNode: localNode, ProxyMode: "Shared",
				ClusterID: *clusterID, ClusterDomain: "cluster.local", XDSAddress: xdsAddr,
			},
			WorkloadState: captured.state(),
		}
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/config_dump", func(w http.ResponseWriter, _ *http.Request) {
		body, err := ztunnel.Render(store.Dump(extras()))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "admin commands are:\n  /: print this help message\n  /config_dump: dump the current Ztunnel configuration")
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
	log.Printf("serving ztunnel admin on http://%s/config_dump", lis.Addr())
	if err := srv.Serve(lis); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// capturedPods lists the pods the CNI handed to ztunnel, i.e. the ones it annotated
// (util.PodFullyEnrolled), keyed by pod UID as ztunnel's inpod workload manager keys them.
type capturedPods struct {
	pods listersv1.PodLister
	node string
}

func watchCapturedPods(ctx context.Context, kubeconfig, node string) (*capturedPods, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	pods := factory.Core().V1().Pods()
	lister := pods.Lister()
	_ = pods.Informer()
	factory.Start(ctx.Done())
	go func() {
		factory.WaitForCacheSync(ctx.Done())
		log.Printf("kubernetes: watching pods for workloadState")
	}()
	return &capturedPods{pods: lister, node: node}, nil
}

func (c *capturedPods) state() map[string]ztunnel.WorkloadState {
	out := map[string]ztunnel.WorkloadState{}
	if c == nil {
		return out
	}
	pods, err := c.pods.List(labels.Everything())
	if err != nil {
		return out
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].UID < pods[j].UID })
	for _, p := range pods {
		if !util.PodFullyEnrolled(p) || (c.node != "" && p.Spec.NodeName != c.node) || p.Status.Phase != corev1.PodRunning {
			continue
		}
		out[string(p.UID)] = ztunnel.WorkloadState{
			State:       "Up",
			Connections: &ztunnel.Connections{Inbound: []any{}, Outbound: []any{}},
			Info:        ztunnel.WorkloadInfo{Name: p.Name, Namespace: p.Namespace, ServiceAccount: p.Spec.ServiceAccountName},
		}
	}
	return out
}
