package envoy

import (
	"maps"
	"slices"
	"sync"
	"time"

	admin "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	v3 "istio.io/istio/pilot/pkg/xds/v3"
)

// Types are the xDS types the stand-in subscribes to, as Envoy does (SDS, NDS and ECDS stay with
// the agent in a real pod).
var Types = []string{v3.ClusterType, v3.ListenerType, v3.RouteType, v3.EndpointType}

// Resource is one xDS resource as received.
type Resource struct {
	Name    string
	Version string
	Message proto.Message
	Updated time.Time
}

// Store holds one proxy's resources by type and name.
type Store struct {
	mu   sync.Mutex
	byTy map[string]map[string]Resource
}

func NewStore() *Store {
	s := &Store{byTy: map[string]map[string]Resource{}}
	for _, t := range Types {
		s.byTy[t] = map[string]Resource{}
	}
	return s
}

// Apply records updates and removals of one type; replace drops what the update does not name
// (the first response of a stream carries the whole subscribed set).
func (s *Store) Apply(typeURL string, updates []Resource, removed []string, replace bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.byTy[typeURL]
	if replace {
		m = map[string]Resource{}
		s.byTy[typeURL] = m
	}
	for _, r := range updates {
		m[r.Name] = r
	}
	for _, n := range removed {
		delete(m, n)
	}
}

func (s *Store) list(typeURL string) []Resource {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.byTy[typeURL]
	out := make([]Resource, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

// Wanted returns the EDS and RDS names the current clusters and listeners refer to: EDS by
// eds_cluster_config.service_name (else the cluster name), RDS by each HCM's rds name.
func (s *Store) Wanted() (eds, rds []string) {
	for _, r := range s.list(v3.ClusterType) {
		c := r.Message.(*cluster.Cluster)
		if c.GetType() != cluster.Cluster_EDS {
			continue
		}
		name := c.GetEdsClusterConfig().GetServiceName()
		if name == "" {
			name = c.Name
		}
		eds = append(eds, name)
	}
	seen := map[string]bool{}
	for _, r := range s.list(v3.ListenerType) {
		for _, h := range connectionManagers(r.Message.(*listener.Listener)) {
			if n := h.GetRds().GetRouteConfigName(); n != "" && !seen[n] {
				seen[n] = true
				rds = append(rds, n)
			}
		}
	}
	slices.Sort(rds)
	return eds, rds
}

// connectionManagers lists the HTTP connection managers in a listener's filter chains.
func connectionManagers(l *listener.Listener) []*hcm.HttpConnectionManager {
	chains := slices.Clone(l.FilterChains)
	if l.DefaultFilterChain != nil {
		chains = append(chains, l.DefaultFilterChain)
	}
	var out []*hcm.HttpConnectionManager
	for _, fc := range chains {
		for _, f := range fc.Filters {
			h := &hcm.HttpConnectionManager{}
			if f.GetTypedConfig() != nil && f.GetTypedConfig().MessageIs(h) && f.GetTypedConfig().UnmarshalTo(h) == nil {
				out = append(out, h)
			}
		}
	}
	return out
}

func mustAny(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		panic(err)
	}
	return a
}

// ConfigDump is Envoy's /config_dump: bootstrap, clusters, listeners, routes (RDS ones as dynamic,
// listener-inline ones as static, as Envoy's HCM registers them), secrets, and with includeEDS
// the endpoints.
func (s *Store) ConfigDump(node *core.Node, includeEDS bool) *admin.ConfigDump {
	clusters := &admin.ClustersConfigDump{}
	for _, r := range s.list(v3.ClusterType) {
		clusters.DynamicActiveClusters = append(clusters.DynamicActiveClusters, &admin.ClustersConfigDump_DynamicCluster{
			VersionInfo: r.Version, Cluster: mustAny(r.Message), LastUpdated: timestamppb.New(r.Updated),
		})
	}
	listeners := &admin.ListenersConfigDump{}
	routes := &admin.RoutesConfigDump{}
	for _, r := range s.list(v3.ListenerType) {
		l := r.Message.(*listener.Listener)
		listeners.DynamicListeners = append(listeners.DynamicListeners, &admin.ListenersConfigDump_DynamicListener{
			Name: l.Name,
			ActiveState: &admin.ListenersConfigDump_DynamicListenerState{
				VersionInfo: r.Version, Listener: mustAny(l), LastUpdated: timestamppb.New(r.Updated),
			},
		})
		for _, h := range connectionManagers(l) {
			if rc := h.GetRouteConfig(); rc != nil {
				routes.StaticRouteConfigs = append(routes.StaticRouteConfigs, &admin.RoutesConfigDump_StaticRouteConfig{
					RouteConfig: mustAny(rc), LastUpdated: timestamppb.New(r.Updated),
				})
			}
		}
	}
	for _, r := range s.list(v3.RouteType) {
		routes.DynamicRouteConfigs = append(routes.DynamicRouteConfigs, &admin.RoutesConfigDump_DynamicRouteConfig{
			VersionInfo: r.Version, RouteConfig: mustAny(r.Message.(*route.RouteConfiguration)), LastUpdated: timestamppb.New(r.Updated),
		})
	}
	configs := []*anypb.Any{
		mustAny(&admin.BootstrapConfigDump{Bootstrap: &bootstrapv3.Bootstrap{Node: node}}),
		mustAny(clusters),
		mustAny(listeners),
		mustAny(&admin.ScopedRoutesConfigDump{}),
		mustAny(routes),
		mustAny(&admin.SecretsConfigDump{}),
	}
	if includeEDS {
		eps := &admin.EndpointsConfigDump{}
		for _, r := range s.list(v3.EndpointType) {
			eps.DynamicEndpointConfigs = append(eps.DynamicEndpointConfigs, &admin.EndpointsConfigDump_DynamicEndpointConfig{
				VersionInfo: r.Version, EndpointConfig: mustAny(r.Message), LastUpdated: timestamppb.New(r.Updated),
			})
		}
		configs = append(configs, mustAny(eps))
	}
	return &admin.ConfigDump{Configs: configs}
}

// Clusters is Envoy's /clusters?format=json (what istioctl proxy-config endpoints reads): every
// cluster with the hosts of its load assignment (EDS, or the cluster's own for static ones).
func (s *Store) Clusters() *admin.Clusters {
	cla := map[string]*endpoint.ClusterLoadAssignment{}
	for _, r := range s.list(v3.EndpointType) {
		cla[r.Name] = r.Message.(*endpoint.ClusterLoadAssignment)
	}
	out := &admin.Clusters{}
	for _, r := range s.list(v3.ClusterType) {
		c := r.Message.(*cluster.Cluster)
		status := &admin.ClusterStatus{Name: c.Name, AddedViaApi: true}
		assignment := c.LoadAssignment
		if c.GetType() == cluster.Cluster_EDS {
			name := c.GetEdsClusterConfig().GetServiceName()
			if name == "" {
				name = c.Name
			}
			assignment = cla[name]
		}
		for _, locality := range assignment.GetEndpoints() {
			for _, lb := range locality.LbEndpoints {
				health := lb.HealthStatus
				if health == core.HealthStatus_UNKNOWN {
					health = core.HealthStatus_HEALTHY
				}
				status.HostStatuses = append(status.HostStatuses, &admin.HostStatus{
					Address:      lb.GetEndpoint().GetAddress(),
					HealthStatus: &admin.HostHealthStatus{EdsHealthStatus: health},
					Weight:       lb.GetLoadBalancingWeight().GetValue(),
					Locality:     locality.Locality,
				})
			}
		}
		out.ClusterStatuses = append(out.ClusterStatuses, status)
	}
	return out
}
