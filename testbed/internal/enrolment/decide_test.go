package enrolment

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func chartConfig(t *testing.T) Config {
	t.Helper()
	cfg, err := FromChartDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

type podOpt func(*corev1.Pod)

func withLabel(k, v string) podOpt { return func(p *corev1.Pod) { p.Labels[k] = v } }
func withAnnotation(k, v string) podOpt {
	return func(p *corev1.Pod) { p.Annotations[k] = v }
}
func withPhase(ph corev1.PodPhase) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }
func withoutIP() podOpt                   { return func(p *corev1.Pod) { p.Status.PodIP, p.Status.PodIPs = "", nil } }
func withHostNetwork() podOpt             { return func(p *corev1.Pod) { p.Spec.HostNetwork = true } }

func pod(ns string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "app-1", Namespace: ns, Labels: map[string]string{}, Annotations: map[string]string{}},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: "10.244.0.5",
			PodIPs: []corev1.PodIP{{IP: "10.244.0.5"}},
		},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

var (
	ambientNS = map[string]string{"istio.io/dataplane-mode": "ambient"}
	plainNS   = map[string]string{}
)

const (
	redirection = "ambient.istio.io/redirection"
	sidecar     = "sidecar.istio.io/status"
)

func TestDecideWithIstioChartSelectors(t *testing.T) {
	cfg := chartConfig(t)
	cases := []struct {
		name string
		pod  *corev1.Pod
		ns   map[string]string
		want Action
	}{
		{"ambient namespace enrols a running pod", pod("shop"), ambientNS, Enrol},
		{"plain namespace leaves the pod alone", pod("shop"), plainNS, Keep},
		{"pod label alone enrols", pod("shop", withLabel("istio.io/dataplane-mode", "ambient")), plainNS, Enrol},
		{"pod opts out with dataplane-mode=none", pod("shop", withLabel("istio.io/dataplane-mode", "none")), ambientNS, Keep},
		{"sidecar pod is never enrolled", pod("shop", withAnnotation(sidecar, "{}")), ambientNS, Keep},
		{"sidecar pod loses a stale enrolment", pod("shop", withAnnotation(sidecar, "{}"), withAnnotation(redirection, "enabled")), ambientNS, Unenrol},
		{"host network pod is never enrolled", pod("shop", withHostNetwork()), ambientNS, Keep},
		{"no IP yet: wait", pod("shop", withoutIP()), ambientNS, Wait},
		{"already enrolled stays", pod("shop", withAnnotation(redirection, "enabled")), ambientNS, Keep},
		{"namespace left ambient: unenrol", pod("shop", withAnnotation(redirection, "enabled")), plainNS, Unenrol},
		{"terminated enrolled pod: unenrol", pod("shop", withAnnotation(redirection, "enabled"), withPhase(corev1.PodSucceeded)), ambientNS, Unenrol},
		{"terminated pod is not enrolled", pod("shop", withPhase(corev1.PodFailed)), ambientNS, Keep},
		{"pending annotation is completed", pod("shop", withAnnotation(redirection, "pending")), ambientNS, Enrol},
		{"excluded namespace (chart default kube-system)", pod("kube-system"), ambientNS, Keep},
		{"ztunnel pod untouched", pod("istio-system", withLabel("app", "ztunnel")), ambientNS, Keep},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Decide(cfg, c.pod, c.ns, "istio-system")
			if got.Action != c.want {
				t.Fatalf("got %v (%s), want %v", got.Action, got.Reason, c.want)
			}
			if got.Reason == "" {
				t.Fatal("empty reason")
			}
		})
	}
}

func TestFromConfigMapMatchesRenderedChart(t *testing.T) {
	// The value the istio-cni chart renders: {{ .Values.ambient.enablementSelectors | toYaml | quote }}.
	data := map[string]string{
		"AMBIENT_ENABLEMENT_SELECTOR": "- podSelector:\n    matchLabels:\n      istio.io/dataplane-mode: ambient\n" +
			"- namespaceSelector:\n    matchLabels:\n      istio.io/dataplane-mode: ambient\n  podSelector:\n" +
			"    matchExpressions:\n    - key: istio.io/dataplane-mode\n      operator: NotIn\n      values:\n      - none\n",
		"EXCLUDE_NAMESPACES": "kube-system,other",
	}
	cfg, err := FromConfigMap("istio-system", data)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.ExcludeNamespaces["other"] || !cfg.ExcludeNamespaces["kube-system"] {
		t.Fatalf("exclusions: %v", cfg.ExcludeNamespaces)
	}
	if got := Decide(cfg, pod("shop"), ambientNS, "istio-system").Action; got != Enrol {
		t.Fatalf("got %v", got)
	}
	if got := Decide(cfg, pod("other"), ambientNS, "istio-system").Action; got != Keep {
		t.Fatalf("excluded namespace: got %v", got)
	}
	if _, err := FromConfigMap("istio-system", map[string]string{}); err == nil {
		t.Fatal("missing key must fail")
	}
}
