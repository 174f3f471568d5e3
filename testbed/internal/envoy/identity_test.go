package envoy

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pilot/pkg/model"
)

// An injected pod as the injection template writes it (env names and fieldRefs from
// injection-template.yaml), with a native sidecar.
func injectedPod() *corev1.Pod {
	always := corev1.ContainerRestartPolicyAlways
	field := func(path string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "reviews-v1-abc", Namespace: "bookinfo",
			Labels:      map[string]string{"app": "reviews", "version": "v1", "pod-template-hash": "123"},
			Annotations: map[string]string{"sidecar.istio.io/status": "{}", "proxy.istio.io/config": "{\"holdApplicationUntilProxyStarts\": true}"},
		},
		Spec: corev1.PodSpec{
			ServiceAccountName: "bookinfo-reviews",
			NodeName:           "testbed-node-1",
			InitContainers: []corev1.Container{{
				Name: "istio-proxy", RestartPolicy: &always,
				Args: []string{"proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning"},
				Env: []corev1.EnvVar{
					{Name: "POD_NAME", ValueFrom: field("metadata.name")},
					{Name: "POD_NAMESPACE", ValueFrom: field("metadata.namespace")},
					{Name: "INSTANCE_IP", ValueFrom: field("status.podIP")},
					{Name: "SERVICE_ACCOUNT", ValueFrom: field("spec.serviceAccountName")},
					{Name: "ISTIO_META_NODE_NAME", ValueFrom: field("spec.nodeName")},
					{Name: "PROXY_CONFIG", Value: "{\"discoveryAddress\":\"istiod.istio-system.svc:15012\"}\n"},
					{Name: "ISTIO_META_POD_PORTS", Value: "[{\"containerPort\":9080,\"protocol\":\"TCP\"}]"},
					{Name: "ISTIO_META_CLUSTER_ID", Value: "Kubernetes"},
					{Name: "ISTIO_META_INTERCEPTION_MODE", Value: "REDIRECT"},
					{Name: "ISTIO_META_WORKLOAD_NAME", Value: "reviews-v1"},
					{Name: "ISTIO_META_MESH_ID", Value: "cluster.local"},
					{Name: "ISTIO_META_ENABLE_HBONE", Value: "true"},
				},
			}},
			Containers: []corev1.Container{{Name: "reviews"}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.0.7", PodIPs: []corev1.PodIP{{IP: "10.244.0.7"}}},
	}
}

func TestIdentityOfInjectedSidecar(t *testing.T) {
	id, err := IdentityOf(injectedPod(), "1.30.0")
	if err != nil {
		t.Fatal(err)
	}
	if want := "sidecar~10.244.0.7~reviews-v1-abc.bookinfo~bookinfo.svc.cluster.local"; id.ID != want {
		t.Fatalf("id %q, want %q", id.ID, want)
	}
	// istiod parses it as it parses a real agent's node (pilot/pkg/model/context.go).
	proxy, err := model.ParseServiceNodeWithMetadata(id.Node.Id, mustNodeMetadata(t, id))
	if err != nil {
		t.Fatal(err)
	}
	if proxy.ID != "reviews-v1-abc.bookinfo" || proxy.Type != model.SidecarProxy || proxy.DNSDomain != "bookinfo.svc.cluster.local" {
		t.Fatalf("parsed %+v", proxy)
	}
	m := proxy.Metadata
	if m.Namespace != "bookinfo" || m.ClusterID != "Kubernetes" || m.IstioVersion != "1.30.0" || m.ServiceAccount != "bookinfo-reviews" {
		t.Fatalf("metadata %+v", m)
	}
	if _, ok := m.Labels["pod-template-hash"]; ok || m.Labels["version"] != "v1" {
		t.Fatalf("labels %v", m.Labels)
	}
	if !bool(m.EnableHBONE) || m.ProxyConfig == nil || !(*meshconfig.ProxyConfig)(m.ProxyConfig).GetHoldApplicationUntilProxyStarts().GetValue() {
		t.Fatalf("HBONE %v, proxy config %v", m.EnableHBONE, m.ProxyConfig)
	}
	if m.Annotations["sidecar.istio.io/status"] != "{}" {
		t.Fatalf("annotations %v", m.Annotations)
	}
}

func TestIdentityOfWaypoint(t *testing.T) {
	pod := injectedPod()
	pod.Spec.Containers = []corev1.Container{{Name: "istio-proxy", Args: []string{"proxy", "waypoint", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--serviceCluster", "waypoint.$(POD_NAMESPACE)"}, Env: pod.Spec.InitContainers[0].Env}}
	pod.Spec.InitContainers = nil
	id, err := IdentityOf(pod, "")
	if err != nil {
		t.Fatal(err)
	}
	if id.Type != "waypoint" || id.Node.Cluster != "waypoint.bookinfo" {
		t.Fatalf("type %q cluster %q", id.Type, id.Node.Cluster)
	}
}

// mustNodeMetadata parses the metadata as istiod does on a new connection (ads.go initProxyMetadata).
func mustNodeMetadata(t *testing.T, id *Identity) *model.NodeMetadata {
	t.Helper()
	meta, err := model.ParseMetadata(id.Node.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	return meta
}

// ztunnel's DaemonSet names its container istio-proxy as well; it must not get an Envoy (nor a
// PortForward that would hide the ztunnel admin stand-in behind kwok's ClusterPortForward).
func TestZtunnelPodIsNoEnvoy(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "ztunnel-abc", Namespace: "istio-system"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "istio-proxy", Args: []string{"proxy", "ztunnel"},
		}}},
	}
	if c := ProxyContainer(pod); c != nil {
		t.Fatalf("ProxyContainer(ztunnel pod) = %q, want none", c.Name)
	}
	if c := ProxyContainer(injectedPod()); c == nil {
		t.Fatal("ProxyContainer(injected pod) = none, want its native sidecar")
	}
}
