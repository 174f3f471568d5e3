package ztunnel

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"istio.io/istio/pkg/workloadapi"
	"istio.io/istio/pkg/workloadapi/security"
)

// Defaults ztunnel applies when istiod leaves a field empty (state/workload.rs TryFrom<XdsWorkload>).
const (
	defaultTrustDomain    = "cluster.local"
	defaultServiceAccount = "default"
	defaultClusterID      = "Kubernetes"
)

// ConvertWorkload is ztunnel's TryFrom<XdsWorkload>: the workload plus the service ports it
// contributes as endpoints ("namespace/hostname" -> service port -> target port).
func ConvertWorkload(w *workloadapi.Workload) (*Workload, map[string]map[string]uint16, error) {
	ips := make([]string, 0, len(w.GetAddresses()))
	for _, b := range w.GetAddresses() {
		ip, err := bytesToIP(b)
		if err != nil {
			return nil, nil, err
		}
		ips = append(ips, ip)
	}
	waypoint, err := gatewayAddress(w.GetWaypoint())
	if err != nil {
		return nil, nil, err
	}
	networkGateway, err := gatewayAddress(w.GetNetworkGateway())
	if err != nil {
		return nil, nil, err
	}
	protocol, err := inboundProtocol(w.GetTunnelProtocol())
	if err != nil {
		return nil, nil, err
	}
	out := &Workload{
		WorkloadIPs:       ips,
		Waypoint:          waypoint,
		NetworkGateway:    networkGateway,
		Protocol:          protocol,
		NetworkMode:       networkMode(w.GetNetworkMode()),
		UID:               w.GetUid(),
		Name:              w.GetName(),
		Namespace:         w.GetNamespace(),
		TrustDomain:       orDefault(w.GetTrustDomain(), defaultTrustDomain),
		ServiceAccount:    orDefault(w.GetServiceAccount(), defaultServiceAccount),
		Network:           w.GetNetwork(),
		WorkloadName:      w.GetWorkloadName(),
		WorkloadType:      strings.ToLower(w.GetWorkloadType().String()),
		CanonicalName:     w.GetCanonicalName(),
		CanonicalRevision: w.GetCanonicalRevision(),
		Hostname:          w.GetHostname(),
		Node:              w.GetNode(),
		NativeTunnel:      w.GetNativeTunnel(),
		Status:            healthStatus(w.GetStatus()),
		ClusterID:         orDefault(w.GetClusterId(), defaultClusterID),
		Capacity:          1,
	}
	if at := w.GetApplicationTunnel(); at != nil {
		out.ApplicationTunnel = &ApplicationTunnel{Protocol: at.GetProtocol().String()}
		if at.GetPort() != 0 {
			p := uint16(at.GetPort())
			out.ApplicationTunnel.Port = &p
		}
	}
	out.AuthorizationPolicies = append(out.AuthorizationPolicies, w.GetAuthorizationPolicies()...)
	if l := w.GetLocality(); l != nil {
		out.Locality = Locality{Region: l.GetRegion(), Zone: l.GetZone(), Subzone: l.GetSubzone()}
	}
	if w.GetCapacity() != nil {
		out.Capacity = w.GetCapacity().GetValue()
	}
	ports := map[string]map[string]uint16{}
	for host, pl := range w.GetServices() {
		if !strings.Contains(host, "/") {
			return nil, nil, fmt.Errorf("failed to parse namespaced hostname: %s", host)
		}
		out.Services = append(out.Services, host)
		ports[host] = portMap(pl.GetPorts())
	}
	sort.Strings(out.Services)
	return out, ports, nil
}

// ConvertService is ztunnel's TryFrom<&XdsService> (endpoints are added by the store).
func ConvertService(s *workloadapi.Service) (*Service, error) {
	out := &Service{
		Name:            s.GetName(),
		Namespace:       s.GetNamespace(),
		Hostname:        s.GetHostname(),
		VIPs:            []string{},
		Ports:           portMap(s.GetPorts()),
		Endpoints:       map[string]*Endpoint{},
		SubjectAltNames: append([]string{}, s.GetSubjectAltNames()...),
		Canonical:       s.GetCanonical(),
		Visibility:      visibility(s.GetVisibility()),
		IPFamilies:      ipFamilies(s.GetIpFamilies()),
	}
	for _, a := range s.GetAddresses() {
		ip, err := bytesToIP(a.GetAddress())
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", s.GetHostname(), err)
		}
		if bits := netip.MustParseAddr(ip).BitLen(); a.Length != nil && int(a.GetLength()) != bits {
			if int(a.GetLength()) > bits {
				return nil, fmt.Errorf("service %s: invalid prefix length %d", s.GetHostname(), a.GetLength())
			}
			// ipnet keeps the host bits as given.
			out.CIDRVIPs = append(out.CIDRVIPs, NetworkCIDR{Network: a.GetNetwork(), CIDR: ip + "/" + strconv.Itoa(int(a.GetLength()))})
			continue
		}
		out.VIPs = append(out.VIPs, a.GetNetwork()+"/"+ip)
	}
	var err error
	if out.Waypoint, err = gatewayAddress(s.GetWaypoint()); err != nil {
		return nil, err
	}
	for _, ww := range s.GetWeightedWaypoints() {
		if ww.GetDestination() == nil {
			return nil, fmt.Errorf("service %s: weighted waypoint without destination", s.GetHostname())
		}
		dest, err := gatewayAddress(ww.GetDestination())
		if err != nil {
			return nil, err
		}
		out.WeightedWaypoints = append(out.WeightedWaypoints, WeightedWaypoint{Destination: *dest, Weight: ww.GetWeight()})
	}
	if lb := s.GetLoadBalancing(); lb != nil {
		out.LoadBalancer = &LoadBalancer{RoutingPreferences: []string{}, Mode: lbMode(lb.GetMode()), HealthPolicy: lbHealth(lb.GetHealthPolicy())}
		for _, r := range lb.GetRoutingPreference() {
			scope, err := lbScope(r)
			if err != nil {
				return nil, fmt.Errorf("service %s: %w", s.GetHostname(), err)
			}
			out.LoadBalancer.RoutingPreferences = append(out.LoadBalancer.RoutingPreferences, scope)
		}
	}
	return out, nil
}

// acceptsEndpoint is Service::should_include_endpoint.
func (s *Service) acceptsEndpoint(status string) bool {
	return status == "Healthy" || (s.LoadBalancer != nil && s.LoadBalancer.HealthPolicy == "AllowAll")
}

// ConvertAuthorization is ztunnel's TryFrom<XdsRbac> for Authorization; the proto's
// groups/rules/matches are ztunnel's rules/clauses/matches.
func ConvertAuthorization(a *security.Authorization) (*Authorization, error) {
	out := &Authorization{
		Name:      a.GetName(),
		Namespace: a.GetNamespace(),
		Rules:     [][][]RbacMatch{},
		DryRun:    a.GetDryRun(),
	}
	switch a.GetScope() {
	case security.Scope_GLOBAL:
		out.Scope = "Global"
	case security.Scope_NAMESPACE:
		out.Scope = "Namespace"
	case security.Scope_WORKLOAD_SELECTOR:
		out.Scope = "WorkloadSelector"
	default:
		return nil, fmt.Errorf("policy %s/%s: unknown scope %v", a.GetNamespace(), a.GetName(), a.GetScope())
	}
	switch a.GetAction() {
	case security.Action_ALLOW:
		out.Action = "Allow"
	case security.Action_DENY:
		out.Action = "Deny"
	default:
		return nil, fmt.Errorf("policy %s/%s: unknown action %v", a.GetNamespace(), a.GetName(), a.GetAction())
	}
	for _, g := range a.GetGroups() {
		clauses := [][]RbacMatch{}
		for _, r := range g.GetRules() {
			matches := []RbacMatch{}
			for _, m := range r.GetMatches() {
				matches = append(matches, convertMatch(m))
			}
			clauses = append(clauses, matches)
		}
		out.Rules = append(out.Rules, clauses)
	}
	return out, nil
}

func convertMatch(m *security.Match) RbacMatch {
	return RbacMatch{
		Namespaces:          stringMatches(m.GetNamespaces()),
		NotNamespaces:       stringMatches(m.GetNotNamespaces()),
		ServiceAccounts:     serviceAccounts(m.GetServiceAccounts()),
		NotServiceAccounts:  serviceAccounts(m.GetNotServiceAccounts()),
		Principals:          stringMatches(m.GetPrincipals()),
		NotPrincipals:       stringMatches(m.GetNotPrincipals()),
		SourceIPs:           ipNets(m.GetSourceIps()),
		NotSourceIPs:        ipNets(m.GetNotSourceIps()),
		DestinationIPs:      ipNets(m.GetDestinationIps()),
		NotDestinationIPs:   ipNets(m.GetNotDestinationIps()),
		DestinationPorts:    ports16(m.GetDestinationPorts()),
		NotDestinationPorts: ports16(m.GetNotDestinationPorts()),
	}
}

func stringMatches(in []*security.StringMatch) []StringMatch {
	var out []StringMatch
	for _, s := range in {
		switch t := s.GetMatchType().(type) {
		case *security.StringMatch_Exact:
			out = append(out, StringMatch{"Exact": t.Exact})
		case *security.StringMatch_Prefix:
			out = append(out, StringMatch{"Prefix": t.Prefix})
		case *security.StringMatch_Suffix:
			out = append(out, StringMatch{"Suffix": t.Suffix})
		case *security.StringMatch_Presence:
			out = append(out, StringMatch{"Presence": []any{}})
		}
	}
	return out
}

func serviceAccounts(in []*security.ServiceAccountMatch) []ServiceAccountMatch {
	var out []ServiceAccountMatch
	for _, s := range in {
		out = append(out, ServiceAccountMatch{Namespace: s.GetNamespace(), ServiceAccount: s.GetServiceAccount()})
	}
	return out
}

// ipNets drops unparsable addresses, as ztunnel's filter_map does.
func ipNets(in []*security.Address) []string {
	var out []string
	for _, a := range in {
		ip, err := bytesToIP(a.GetAddress())
		if err != nil || int(a.GetLength()) > netip.MustParseAddr(ip).BitLen() {
			continue
		}
		out = append(out, ip+"/"+strconv.Itoa(int(a.GetLength())))
	}
	return out
}

func ports16(in []uint32) []uint16 {
	var out []uint16
	for _, p := range in {
		out = append(out, uint16(p))
	}
	return out
}

func portMap(ports []*workloadapi.Port) map[string]uint16 {
	out := map[string]uint16{}
	for _, p := range ports {
		out[strconv.Itoa(int(uint16(p.GetServicePort())))] = uint16(p.GetTargetPort())
	}
	return out
}

func bytesToIP(b []byte) (string, error) {
	ip, ok := netip.AddrFromSlice(b)
	if !ok {
		return "", fmt.Errorf("failed to parse address from bytes: %d", len(b))
	}
	return ip.String(), nil
}

func gatewayAddress(g *workloadapi.GatewayAddress) (*GatewayAddress, error) {
	if g == nil {
		return nil, nil
	}
	out := &GatewayAddress{HboneMtlsPort: uint16(g.GetHboneMtlsPort())}
	switch d := g.GetDestination().(type) {
	case *workloadapi.GatewayAddress_Address:
		ip, err := bytesToIP(d.Address.GetAddress())
		if err != nil {
			return nil, err
		}
		out.Destination = d.Address.GetNetwork() + "/" + ip
	case *workloadapi.GatewayAddress_Hostname:
		out.Destination = d.Hostname.GetNamespace() + "/" + d.Hostname.GetHostname()
	default:
		return nil, fmt.Errorf("gateway address missing")
	}
	return out, nil
}

func inboundProtocol(p workloadapi.TunnelProtocol) (string, error) {
	switch p {
	case workloadapi.TunnelProtocol_HBONE:
		return "HBONE", nil
	case workloadapi.TunnelProtocol_NONE:
		return "TCP", nil
	}
	return "", fmt.Errorf("unsupported tunnel protocol: %v", p)
}

func networkMode(m workloadapi.NetworkMode) string {
	if m == workloadapi.NetworkMode_HOST_NETWORK {
		return "HostNetwork"
	}
	return "Standard"
}

func healthStatus(s workloadapi.WorkloadStatus) string {
	if s == workloadapi.WorkloadStatus_UNHEALTHY {
		return "Unhealthy"
	}
	return "Healthy"
}

func visibility(v workloadapi.Service_Visibility) string {
	if v == workloadapi.Service_NAMESPACE {
		return "Namespace"
	}
	return "Public"
}

func ipFamilies(f workloadapi.IPFamilies) string {
	switch f {
	case workloadapi.IPFamilies_IPV4_ONLY:
		return "IPv4"
	case workloadapi.IPFamilies_IPV6_ONLY:
		return "IPv6"
	case workloadapi.IPFamilies_DUAL:
		return "Dual"
	}
	return ""
}

func lbMode(m workloadapi.LoadBalancing_Mode) string {
	switch m {
	case workloadapi.LoadBalancing_STRICT:
		return "Strict"
	case workloadapi.LoadBalancing_FAILOVER:
		return "Failover"
	case workloadapi.LoadBalancing_PASSTHROUGH:
		return "Passthrough"
	}
	return "Standard"
}

func lbHealth(h workloadapi.LoadBalancing_HealthPolicy) string {
	if h == workloadapi.LoadBalancing_ALLOW_ALL {
		return "AllowAll"
	}
	return "OnlyHealthy"
}

func lbScope(s workloadapi.LoadBalancing_Scope) (string, error) {
	switch s {
	case workloadapi.LoadBalancing_REGION:
		return "Region", nil
	case workloadapi.LoadBalancing_ZONE:
		return "Zone", nil
	case workloadapi.LoadBalancing_SUBZONE:
		return "Subzone", nil
	case workloadapi.LoadBalancing_NODE:
		return "Node", nil
	case workloadapi.LoadBalancing_CLUSTER:
		return "Cluster", nil
	case workloadapi.LoadBalancing_NETWORK:
		return "Network", nil
	}
	return "", fmt.Errorf("invalid target")
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
