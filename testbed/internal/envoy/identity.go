// Package envoy holds what testbed-envoy needs to pose as an istio-proxy: the node identity the
// real pilot-agent would send for a pod, and Envoy's admin views of what istiod sent.
package envoy

import (
	"encoding/json"
	"fmt"
	"strings"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/kubernetes/third_party/forked/golang/expansion"

	"istio.io/api/annotation"
	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pkg/bootstrap"
	"istio.io/istio/pkg/config/mesh"
)

// ProxyContainerName is the container the injector (and the waypoint template) names istio-proxy.
const ProxyContainerName = "istio-proxy"

// ProxyContainer returns the pod's istio-proxy container: a classic sidecar, a native sidecar
// (an init container with restartPolicy Always) or a waypoint's only container. ztunnel's chart
// names its container istio-proxy too (args "proxy ztunnel"); ztunnel is no Envoy, so it is none.
func ProxyContainer(pod *corev1.Pod) *corev1.Container {
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		if c.Name == ProxyContainerName {
			if len(c.Args) > 1 && c.Args[0] == "proxy" && c.Args[1] == "ztunnel" {
				return nil
			}
			return c
		}
	}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if c.Name == ProxyContainerName && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			return c
		}
	}
	return nil
}

// Identity is what pilot-agent sends istiod for a pod: the node id and the node metadata.
type Identity struct {
	// Type is the proxy type from pilot-agent's first argument: sidecar, waypoint or router.
	Type string
	ID   string
	Node *core.Node
}

// IdentityOf rebuilds, from the injected pod spec, the node pilot-agent would send
// (pkg/istio-agent/agent.go ServiceNode and generateNodeMetadata): env resolved as the kubelet
// would, ISTIO_META_* and PROXY_CONFIG through istio's own bootstrap.GetNodeMetaData, and the
// pod's labels and annotations as the downward-API files carry them.
func IdentityOf(pod *corev1.Pod, istioVersion string) (*Identity, error) {
	c := ProxyContainer(pod)
	if c == nil {
		return nil, fmt.Errorf("pod %s/%s has no %s container", pod.Namespace, pod.Name, ProxyContainerName)
	}
	if pod.Status.PodIP == "" {
		return nil, fmt.Errorf("pod %s/%s has no IP yet", pod.Namespace, pod.Name)
	}
	envs, env := resolveEnv(pod, c)
	args := expandArgs(c.Args, env)

	// pilot-agent proxy [sidecar|router|waypoint] --domain D --serviceCluster C (cmd.go initProxy).
	proxyType := "sidecar"
	if len(args) > 1 && args[0] == "proxy" && !strings.HasPrefix(args[1], "-") {
		proxyType = args[1]
	}
	domain := flagValue(args, "--domain")
	if domain == "" {
		domain = pod.Namespace + ".svc.cluster.local"
	}
	serviceCluster := flagValue(args, "--serviceCluster")
	ips := []string{pod.Status.PodIP}
	for _, ip := range pod.Status.PodIPs {
		if ip.IP != pod.Status.PodIP {
			ips = append(ips, ip.IP)
		}
	}
	id := strings.Join([]string{proxyType, ips[0], pod.Name + "." + pod.Namespace, domain}, "~")

	proxyConfig, err := proxyConfigOf(env["PROXY_CONFIG"], pod.Annotations[annotation.ProxyConfig.Name], serviceCluster)
	if err != nil {
		return nil, fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	if env["ISTIO_META_ISTIO_VERSION"] == "" && istioVersion != "" {
		envs = append(envs, "ISTIO_META_ISTIO_VERSION="+istioVersion)
	}
	node, err := bootstrap.GetNodeMetaData(bootstrap.MetadataOptions{
		ID:                  id,
		Envs:                envs,
		InstanceIPs:         ips,
		ProxyConfig:         proxyConfig,
		EnvoyStatusPort:     15021,
		EnvoyPrometheusPort: 15090,
	})
	if err != nil {
		return nil, fmt.Errorf("pod %s/%s: node metadata: %w", pod.Namespace, pod.Name, err)
	}
	// The downward-API files (/etc/istio/pod/labels, annotations) carry the pod's own metadata.
	node.Metadata.Labels = map[string]string{}
	for k, v := range node.Metadata.StaticLabels {
		node.Metadata.Labels[k] = v
	}
	for k, v := range pod.Labels {
		if k != bootstrap.DefaultDeploymentUniqueLabelKey {
			node.Metadata.Labels[k] = v
		}
	}
	node.Metadata.Annotations = map[string]string{}
	for k, v := range pod.Annotations {
		node.Metadata.Annotations[k] = v
	}
	meta, err := metadataStruct(node.Metadata, node.RawMetadata)
	if err != nil {
		return nil, fmt.Errorf("pod %s/%s: node metadata: %w", pod.Namespace, pod.Name, err)
	}
	// node.cluster only names the proxy in traces (core/tracing.go); the flag wins, as in the agent.
	cluster := serviceCluster
	if sc, ok := proxyConfig.GetClusterName().(*meshconfig.ProxyConfig_ServiceCluster); ok && cluster == "" {
		cluster = sc.ServiceCluster
	}
	return &Identity{
		Type: proxyType,
		ID:   id,
		Node: &core.Node{Id: id, Cluster: cluster, Metadata: meta, Locality: node.Locality, UserAgentName: "envoy"},
	}, nil
}

// proxyConfigOf merges the mesh defaults, the injected PROXY_CONFIG env and the pod's
// proxy.istio.io/config annotation, as pilot-agent's ConstructProxyConfig does.
func proxyConfigOf(env, annotationValue, serviceCluster string) (*meshconfig.ProxyConfig, error) {
	mc := mesh.DefaultMeshConfig()
	for _, overlay := range []struct{ what, yaml string }{{"PROXY_CONFIG", env}, {annotation.ProxyConfig.Name, annotationValue}} {
		if overlay.yaml == "" {
			continue
		}
		next, err := mesh.ApplyProxyConfig(overlay.yaml, mc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", overlay.what, err)
		}
		mc = next
	}
	pc := mc.GetDefaultConfig()
	if pc == nil {
		pc = mesh.DefaultProxyConfig()
	}
	if sc, ok := pc.GetClusterName().(*meshconfig.ProxyConfig_ServiceCluster); ok && sc.ServiceCluster == "" {
		pc.ClusterName = &meshconfig.ProxyConfig_ServiceCluster{ServiceCluster: serviceCluster}
	}
	return pc, nil
}

// resolveEnv resolves the container's env as the kubelet does: literals with $(VAR) expansion
// of earlier variables, and the downward-API fields the injector uses.
func resolveEnv(pod *corev1.Pod, c *corev1.Container) ([]string, map[string]string) {
	env := map[string]string{}
	var list []string
	mapping := expansion.MappingFuncFor(env)
	for _, e := range c.Env {
		var v string
		switch {
		case e.ValueFrom == nil:
			v = expansion.Expand(e.Value, mapping)
		case e.ValueFrom.FieldRef != nil:
			v = fieldValue(pod, e.ValueFrom.FieldRef.FieldPath)
		default:
			continue // resource limits, secrets, config maps: nothing istiod reads
		}
		env[e.Name] = v
		list = append(list, e.Name+"="+v)
	}
	return list, env
}

func fieldValue(pod *corev1.Pod, path string) string {
	switch path {
	case "metadata.name":
		return pod.Name
	case "metadata.namespace":
		return pod.Namespace
	case "metadata.uid":
		return string(pod.UID)
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName
	case "spec.nodeName":
		return pod.Spec.NodeName
	case "status.podIP":
		return pod.Status.PodIP
	case "status.hostIP":
		return pod.Status.HostIP
	case "status.podIPs":
		ips := make([]string, 0, len(pod.Status.PodIPs))
		for _, ip := range pod.Status.PodIPs {
			ips = append(ips, ip.IP)
		}
		return strings.Join(ips, ",")
	}
	if key, ok := strings.CutPrefix(path, "metadata.labels['"); ok {
		return pod.Labels[strings.TrimSuffix(key, "']")]
	}
	if key, ok := strings.CutPrefix(path, "metadata.annotations['"); ok {
		return pod.Annotations[strings.TrimSuffix(key, "']")]
	}
	return ""
}

func expandArgs(args []string, env map[string]string) []string {
	mapping := expansion.MappingFuncFor(env)
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = expansion.Expand(a, mapping)
	}
	return out
}

func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

// metadataStruct is bootstrap's meta_json_str (pkg/bootstrap/option marshalMetadata): the typed
// metadata, plus the untyped keys it does not already hold.
func metadataStruct(meta any, raw map[string]any) (*structpb.Struct, error) {
	b, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	for k, v := range raw {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	return structpb.NewStruct(out)
}
