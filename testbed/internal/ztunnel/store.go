package ztunnel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"istio.io/istio/pkg/workloadapi"
	"istio.io/istio/pkg/workloadapi/security"
)

// Store holds the xDS state the way ztunnel's ProxyState does, keyed by xDS resource name
// (a workload's uid, a service's "namespace/hostname", a policy's "namespace/name").
type Store struct {
	mu        sync.RWMutex
	workloads map[string]workloadEntry
	services  map[string]*Service
	policies  map[string]*Authorization
}

type workloadEntry struct {
	workload *Workload
	ports    map[string]map[string]uint16
}

func NewStore() *Store {
	return &Store{workloads: map[string]workloadEntry{}, services: map[string]*Service{}, policies: map[string]*Authorization{}}
}

// ApplyAddresses applies one delta response of istio.workload.Address. With replace (the first
// response on a new stream, which carries the full wildcard set) the previous state is dropped.
// A resource ztunnel would reject is skipped and reported, as ztunnel NACKs it alone.
func (s *Store) ApplyAddresses(resources map[string]*workloadapi.Address, removed []string, replace bool) []error {
	type converted struct {
		w     *Workload
		ports map[string]map[string]uint16
		svc   *Service
	}
	var errs []error
	ready := map[string]converted{}
	for name, a := range resources {
		switch {
		case a.GetWorkload() != nil:
			w, ports, err := ConvertWorkload(a.GetWorkload())
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				continue
			}
			ready[name] = converted{w: w, ports: ports}
		case a.GetService() != nil:
			svc, err := ConvertService(a.GetService())
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				continue
			}
			ready[name] = converted{svc: svc}
		default:
			errs = append(errs, fmt.Errorf("%s: unknown address type", name))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if replace {
		s.workloads, s.services = map[string]workloadEntry{}, map[string]*Service{}
	}
	for _, name := range removed {
		delete(s.workloads, name)
		delete(s.services, name)
	}
	for name, c := range ready {
		// A name is either a workload or a service; a change of kind replaces the old entry.
		delete(s.workloads, name)
		delete(s.services, name)
		if c.w != nil {
			s.workloads[name] = workloadEntry{workload: c.w, ports: c.ports}
		} else {
			s.services[name] = c.svc
		}
	}
	return errs
}

// ApplyAuthorizations is ApplyAddresses for istio.security.Authorization.
func (s *Store) ApplyAuthorizations(resources map[string]*security.Authorization, removed []string, replace bool) []error {
	var errs []error
	ready := map[string]*Authorization{}
	for name, a := range resources {
		p, err := ConvertAuthorization(a)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		ready[name] = p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if replace {
		s.policies = map[string]*Authorization{}
	}
	for _, name := range removed {
		delete(s.policies, name)
	}
	for name, p := range ready {
		s.policies[name] = p
	}
	return errs
}

// Counts reports the number of workloads, services and policies held.
func (s *Store) Counts() (int, int, int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.workloads), len(s.services), len(s.policies)
}

// Node-local and process facts that are not xDS state.
type Extras struct {
	Version       BuildInfo
	Config        Config
	WorkloadState map[string]WorkloadState
}

// Dump assembles the config dump: workloads sorted by uid, services by hostname, policies by
// resource name (ProxyState's Serialize), service endpoints from the workloads that name them.
func (s *Store) Dump(extras Extras) *ConfigDump {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := &ConfigDump{
		Workloads:      []*Workload{},
		Services:       []*Service{},
		Policies:       []*Authorization{},
		StagedServices: map[string]map[string]*Endpoint{},
		StaticConfig:   LocalConfig{Workloads: []any{}, Policies: []any{}, Services: []any{}},
		Version:        extras.Version,
		Config:         extras.Config,
		Certificates:   []CertsDump{},
		WorkloadState:  extras.WorkloadState,
	}
	if d.WorkloadState == nil {
		d.WorkloadState = map[string]WorkloadState{}
	}
	byHost := map[string]*Service{}
	for _, svc := range s.services {
		c := *svc
		c.Endpoints = map[string]*Endpoint{}
		byHost[c.Namespace+"/"+c.Hostname] = &c
		d.Services = append(d.Services, &c)
	}
	for _, e := range s.workloads {
		w := e.workload
		d.Workloads = append(d.Workloads, w)
		for host, ports := range e.ports {
			ep := &Endpoint{WorkloadUID: w.UID, Port: ports, Status: w.Status}
			if svc, ok := byHost[host]; ok {
				if svc.acceptsEndpoint(w.Status) {
					svc.Endpoints[w.UID] = ep
				}
				continue
			}
			if d.StagedServices[host] == nil {
				d.StagedServices[host] = map[string]*Endpoint{}
			}
			d.StagedServices[host][w.UID] = ep
		}
	}
	sort.Slice(d.Workloads, func(i, j int) bool { return d.Workloads[i].UID < d.Workloads[j].UID })
	sort.Slice(d.Services, func(i, j int) bool {
		a, b := d.Services[i], d.Services[j]
		if a.Hostname != b.Hostname {
			return a.Hostname < b.Hostname
		}
		return a.Namespace < b.Namespace
	})
	names := make([]string, 0, len(s.policies))
	for n := range s.policies {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d.Policies = append(d.Policies, s.policies[n])
	}
	return d
}

// Render writes the dump as ztunnel does: serde_json::to_value (every object's keys sorted),
// then to_string_pretty (two-space indent, no HTML escaping).
func Render(d *ConfigDump) ([]byte, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(generic); err != nil {
		return nil, err
	}
	return bytes.TrimRight(out.Bytes(), "\n"), nil
}
