// Command testbed-cni stands in for the Istio CNI node agent on a testbed without a container
// runtime: it watches Pods and Namespaces and marks the pods ambient captures with
// ambient.istio.io/redirection=enabled (and removes the mark when they leave), deciding with
// Istio's own enrolment code and patching with Istio's own functions.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/workqueue"

	"istio.io/istio/cni/pkg/util"

	"github.com/ambient-migrate/testbed/internal/enrolment"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster")
	systemNamespace := flag.String("system-namespace", "istio-system", "namespace of Istio's CNI ConfigMap and ztunnel")
	node := flag.String("node", "", "only handle pods on this node (default: every node, one stand-in for all)")
	flag.Parse()
	log.SetOutput(os.Stderr)
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("testbed-cni: ")

	restConfig, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatalf("kubeconfig: %v", err)
	}
	client, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		log.Fatalf("client: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	a := newAgent(client, *systemNamespace, *node)
	if err := a.run(ctx); err != nil {
		log.Fatal(err)
	}
}

type agent struct {
	client          kubernetes.Interface
	systemNamespace string
	queue           workqueue.TypedRateLimitingInterface[string]
	pods            listersv1.PodLister
	namespaces      listersv1.NamespaceLister
	factory         informers.SharedInformerFactory
	podFactory      informers.SharedInformerFactory
	configFactory   informers.SharedInformerFactory

	mu        sync.Mutex
	cfg       enrolment.Config
	lastLog   map[string]string
	configMap listersv1.ConfigMapLister
}

func newAgent(client kubernetes.Interface, systemNamespace, node string) *agent {
	a := &agent{
		client:          client,
		systemNamespace: systemNamespace,
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedMaxOfRateLimiter(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, 5*time.Second),
		)),
		lastLog: map[string]string{},
	}
	a.factory = informers.NewSharedInformerFactory(client, 0)
	a.podFactory = informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			if node != "" {
				o.FieldSelector = "spec.nodeName=" + node
			}
		}))
	a.configFactory = informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(systemNamespace))
	return a
}

func (a *agent) run(ctx context.Context) error {
	podInformer := a.podFactory.Core().V1().Pods()
	nsInformer := a.factory.Core().V1().Namespaces()
	cmInformer := a.configFactory.Core().V1().ConfigMaps()
	a.pods, a.namespaces, a.configMap = podInformer.Lister(), nsInformer.Lister(), cmInformer.Lister()

	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			a.queue.Add(key)
		}
	}
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, n any) { enqueue(n) },
		DeleteFunc: func(obj any) {
			if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
				a.forget(key)
			}
		},
	}); err != nil {
		return err
	}
	// A namespace label change can change every pod's enrolment: requeue its pods
	// (the agent's enqueueNamespace).
	if _, err := nsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { a.enqueueNamespace(obj.(*corev1.Namespace).Name) },
		UpdateFunc: func(o, n any) {
			oldNs, newNs := o.(*corev1.Namespace), n.(*corev1.Namespace)
			if !labels.Equals(oldNs.Labels, newNs.Labels) {
				log.Printf("namespace %s labels changed: %v", newNs.Name, newNs.Labels)
				a.enqueueNamespace(newNs.Name)
			}
		},
	}); err != nil {
		return err
	}
	// The real agent reads the istio-cni ConfigMap through its environment at start; the stand-in
	// follows the ConfigMap so it can start before Istio is installed.
	reload := func(any) { a.reloadConfig() }
	if _, err := cmInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: reload, UpdateFunc: func(_, n any) { reload(n) }, DeleteFunc: reload,
	}); err != nil {
		return err
	}

	for _, f := range []informers.SharedInformerFactory{a.factory, a.podFactory, a.configFactory} {
		f.Start(ctx.Done())
	}
	for _, f := range []informers.SharedInformerFactory{a.factory, a.podFactory, a.configFactory} {
		for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
			if !ok {
				return fmt.Errorf("cache for %v did not sync", typ)
			}
		}
	}
	a.reloadConfig()
	log.Printf("watching pods and namespaces")
	go func() {
		<-ctx.Done()
		a.queue.ShutDown()
	}()
	for a.processNext(ctx) {
	}
	return nil
}

func (a *agent) reloadConfig() {
	cfg, err := a.loadConfig()
	if err != nil {
		log.Printf("ERROR loading enrolment settings: %v", err)
		return
	}
	a.mu.Lock()
	changed := a.cfg.Source == "" || a.cfg.Describe() != cfg.Describe()
	a.cfg = cfg
	a.mu.Unlock()
	if changed {
		log.Printf("enrolment settings from %s", cfg.Describe())
		nss, _ := a.namespaces.List(labels.Everything())
		for _, ns := range nss {
			a.enqueueNamespace(ns.Name)
		}
	}
}

func (a *agent) loadConfig() (enrolment.Config, error) {
	cm, err := a.configMap.ConfigMaps(a.systemNamespace).Get(enrolment.ConfigMapName)
	if apierrors.IsNotFound(err) {
		return enrolment.FromChartDefaults()
	}
	if err != nil {
		return enrolment.Config{}, err
	}
	return enrolment.FromConfigMap(a.systemNamespace, cm.Data)
}

func (a *agent) config() enrolment.Config {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg
}

func (a *agent) enqueueNamespace(ns string) {
	pods, err := a.pods.Pods(ns).List(labels.Everything())
	if err != nil {
		return
	}
	for _, p := range pods {
		if key, err := cache.MetaNamespaceKeyFunc(p); err == nil {
			a.queue.Add(key)
		}
	}
}

func (a *agent) processNext(ctx context.Context) bool {
	key, shutdown := a.queue.Get()
	if shutdown {
		return false
	}
	defer a.queue.Done(key)
	if err := a.reconcile(key); err != nil {
		log.Printf("%s: %v (will retry)", key, err)
		a.queue.AddRateLimited(key)
		return ctx.Err() == nil
	}
	a.queue.Forget(key)
	return true
}

func (a *agent) reconcile(key string) error {
	cfg := a.config()
	if cfg.Selectors == nil {
		return fmt.Errorf("enrolment settings not loaded yet")
	}
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := a.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil // deleted: the annotation went with it
	}
	if err != nil {
		return err
	}
	namespace, err := a.namespaces.Get(ns)
	if err != nil {
		return fmt.Errorf("namespace %s: %w", ns, err)
	}
	d := enrolment.Decide(cfg, pod, namespace.Labels, a.systemNamespace)
	a.logOnce(key, d)
	switch d.Action {
	case enrolment.Enrol:
		return util.AnnotateEnrolledPod(a.client, &pod.ObjectMeta)
	case enrolment.Unenrol:
		return util.AnnotateUnenrollPod(a.client, &pod.ObjectMeta)
	}
	return nil
}

// logOnce prints a decision when it differs from the last one printed for the pod, so that
// status churn does not repeat it.
func (a *agent) logOnce(key string, d enrolment.Decision) {
	line := d.Action.String() + ": " + d.Reason
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.lastLog[key] == line {
		return
	}
	a.lastLog[key] = line
	log.Printf("pod %s: %s", key, line)
}

func (a *agent) forget(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.lastLog, key)
}
