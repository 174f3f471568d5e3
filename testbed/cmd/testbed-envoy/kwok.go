package main

import (
	"context"
	"log"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// kwok's per-pod PortForward (kwok runs with --enable-crds=PortForward): it forwards a pod's
// port to a local address, which is how `kubectl port-forward` reaches a fake pod.
var portForwardGVR = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "portforwards"}

const envoyAdminPort = 15000

type portForwards struct{ client dynamic.Interface }

func newPortForwards(cfg *rest.Config) (*portForwards, error) {
	c, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &portForwards{client: c}, nil
}

// ensure points the pod's port 15000 at the proxy's admin listener, retrying until it holds
// (the pod owns the object, so it goes with the pod).
func (f *portForwards) ensure(ctx context.Context, pod *corev1.Pod, port int, host string) {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1",
		"kind":       "PortForward",
		"metadata": map[string]any{
			"name": pod.Name, "namespace": pod.Namespace,
			"labels": map[string]any{"app.kubernetes.io/managed-by": "testbed-envoy"},
			"ownerReferences": []any{map[string]any{
				"apiVersion": "v1", "kind": "Pod", "name": pod.Name, "uid": string(pod.UID),
			}},
		},
		"spec": map[string]any{"forwards": []any{map[string]any{
			"ports":  []any{int64(envoyAdminPort)},
			"target": map[string]any{"port": int64(port), "address": host},
		}}},
	}}
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		_, err := f.client.Resource(portForwardGVR).Namespace(pod.Namespace).Apply(ctx, pod.Name, obj,
			metav1.ApplyOptions{FieldManager: "testbed-envoy", Force: true})
		if err == nil || apierrors.IsNotFound(err) && ctx.Err() != nil {
			return
		}
		log.Printf("%s/%s: PortForward: %v (retrying in %v)", pod.Namespace, pod.Name, err, backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// remove deletes the pod's PortForward when the pod stops running a proxy.
func (f *portForwards) remove(namespace, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := f.client.Resource(portForwardGVR).Namespace(namespace).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		log.Printf("%s/%s: deleting PortForward: %v", namespace, name, err)
	}
}
