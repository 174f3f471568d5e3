// Package enrolment holds the CNI stand-in's pure logic: which pods the Istio CNI node agent
// would capture for ambient, decided by Istio's own code (istio.io/istio/cni/pkg/util).
package enrolment

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	cniconstants "istio.io/istio/cni/pkg/constants"
	"istio.io/istio/cni/pkg/util"
	"istio.io/istio/manifests"
)

// ConfigMapName is the ConfigMap the istio-cni chart renders (templates/configmap-cni.yaml);
// the real agent receives its keys as environment variables.
const ConfigMapName = "istio-cni-config"

// The agent reads its settings through viper with "-" -> "_" and upper case, so the
// ConfigMap keys are derived from the agent's own flag names.
var (
	selectorKey = envName(cniconstants.AmbientEnablementSelector)
	excludeKey  = envName(cniconstants.ExcludeNamespaces)
)

func envName(flag string) string { return strings.ToUpper(strings.ReplaceAll(flag, "-", "_")) }

// Config is what the agent needs to decide enrolment.
type Config struct {
	Selectors         *util.CompiledEnablementSelectors
	ExcludeNamespaces map[string]bool
	// Source says where the settings came from, for the log.
	Source string
}

// FromConfigMap reads the settings the way the agent does (cni/pkg/cmd/root.go).
func FromConfigMap(namespace string, data map[string]string) (Config, error) {
	raw, ok := data[selectorKey]
	if !ok {
		return Config{}, fmt.Errorf("ConfigMap %s/%s has no %s", namespace, ConfigMapName, selectorKey)
	}
	return compile(raw, util.SplitExcludeNamespaces(data[excludeKey]),
		fmt.Sprintf("ConfigMap %s/%s", namespace, ConfigMapName))
}

// FromChartDefaults reads the istio-cni chart's default values embedded in istio.io/istio/manifests,
// for when Istio's CNI ConfigMap is not installed (yet).
func FromChartDefaults() (Config, error) {
	const path = "charts/istio-cni/values.yaml"
	b, err := fs.ReadFile(manifests.BuiltinOrDir(""), path)
	if err != nil {
		return Config{}, err
	}
	var values struct {
		Defaults struct {
			ExcludeNamespaces []string `json:"excludeNamespaces"`
			Ambient           struct {
				EnablementSelectors []util.EnablementSelector `json:"enablementSelectors"`
			} `json:"ambient"`
		} `json:"_internal_defaults_do_not_set"`
	}
	if err := yaml.Unmarshal(b, &values); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	raw, err := yaml.Marshal(values.Defaults.Ambient.EnablementSelectors)
	if err != nil {
		return Config{}, err
	}
	return compile(string(raw), values.Defaults.ExcludeNamespaces, "istio-cni chart defaults ("+path+")")
}

func compile(rawSelectors string, exclude []string, source string) (Config, error) {
	var selectors []util.EnablementSelector
	if err := yaml.Unmarshal([]byte(rawSelectors), &selectors); err != nil {
		return Config{}, fmt.Errorf("%s: failed to parse ambient enablement selector: %w", source, err)
	}
	compiled, err := util.NewCompiledEnablementSelectors(selectors)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", source, err)
	}
	excluded := map[string]bool{}
	for _, ns := range exclude {
		excluded[ns] = true
	}
	return Config{Selectors: compiled, ExcludeNamespaces: excluded, Source: source}, nil
}

// Describe renders the settings for the log.
func (c Config) Describe() string {
	raw, _ := json.Marshal(c.Selectors.SourceSelectors)
	return fmt.Sprintf("%s: enablement selectors %s; excluded namespaces %v", c.Source, raw, keys(c.ExcludeNamespaces))
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
