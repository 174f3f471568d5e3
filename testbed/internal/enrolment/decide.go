package enrolment

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"istio.io/api/annotation"
	"istio.io/api/label"
	"istio.io/istio/cni/pkg/util"
	"istio.io/istio/pkg/kube"
)

// Action is what the agent does to a pod's redirection annotation.
type Action int

const (
	// Keep: the annotation already says what it should.
	Keep Action = iota
	// Enrol: annotate ambient.istio.io/redirection=enabled (util.AnnotateEnrolledPod).
	Enrol
	// Unenrol: remove the annotation (util.AnnotateUnenrollPod).
	Unenrol
	// Wait: the pod should be captured but has no IP yet; a later update will bring it.
	Wait
)

func (a Action) String() string {
	return [...]string{"keep", "enrol", "unenrol", "wait"}[a]
}

// Decision is the outcome for one pod, with the facts it rests on for the log.
type Decision struct {
	Action Action
	Reason string
}

// Decide follows the update branch of the agent's reconcilePod (cni/pkg/nodeagent/informers.go),
// with every judgement delegated to Istio's functions. The real agent enrols new pods through
// the CNI plugin at sandbox creation; without a runtime, pod add events take this same path.
func Decide(cfg Config, pod *corev1.Pod, namespaceLabels map[string]string, systemNamespace string) Decision {
	if util.IsZtunnelPod(systemNamespace, pod) {
		return Decision{Keep, "ztunnel pod: never added to or removed from the mesh"}
	}
	isEnrolled := util.PodFullyEnrolled(pod)
	isPartiallyEnrolled := util.PodPartiallyEnrolled(pod)
	matches := cfg.Selectors.Matches(pod, namespaceLabels)
	excluded := cfg.ExcludeNamespaces[pod.Namespace]
	shouldBeEnabled := matches && !excluded
	isTerminated := kube.CheckPodTerminal(pod)
	why := facts(pod, namespaceLabels, matches, excluded)

	if (isEnrolled || isPartiallyEnrolled) && isTerminated {
		return Decision{Unenrol, "pod terminated (" + string(pod.Status.Phase) + ")"}
	}
	changeNeeded := isEnrolled != shouldBeEnabled || isPartiallyEnrolled
	if !changeNeeded || isTerminated {
		if shouldBeEnabled && !isTerminated {
			return Decision{Keep, "already enrolled; " + why}
		}
		return Decision{Keep, "not captured; " + why}
	}
	if !shouldBeEnabled {
		return Decision{Unenrol, "no longer selected; " + why}
	}
	if len(util.GetPodIPsIfPresent(pod)) == 0 {
		return Decision{Wait, "selected but no pod IP yet; " + why}
	}
	return Decision{Enrol, "selected; " + why}
}

// facts restates the inputs Istio's selector saw; it decides nothing.
func facts(pod *corev1.Pod, nsLabels map[string]string, matches, excluded bool) string {
	_, sidecar := pod.Annotations[annotation.SidecarStatus.Name]
	mode := label.IoIstioDataplaneMode.Name
	return fmt.Sprintf("selector match=%t (namespace %s=%q, pod %s=%q, sidecar=%t, hostNetwork=%t), excluded namespace=%t",
		matches, mode, nsLabels[mode], mode, pod.Labels[mode], sidecar, pod.Spec.HostNetwork, excluded)
}
