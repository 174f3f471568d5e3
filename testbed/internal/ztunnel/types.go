// Package ztunnel turns what istiod sends a ztunnel over xDS (istio.workload.Address,
// istio.security.Authorization) into the JSON a real ztunnel serves on GET /config_dump.
//
// The types mirror ztunnel's serde types field by field (istio/ztunnel src/state/workload.rs,
// src/state/service.rs, src/rbac.rs, src/admin.rs, src/inpod/admin.rs): `omitempty`/`omitzero`
// stand where ztunnel has `skip_serializing_if = "is_default"`, and a plain field where it
// always serializes. Keys end up sorted, as serde_json (without preserve_order) sorts them.
package ztunnel

// Workload is ztunnel's state::workload::Workload.
type Workload struct {
	WorkloadIPs           []string           `json:"workloadIps"`
	Waypoint              *GatewayAddress    `json:"waypoint,omitempty"`
	NetworkGateway        *GatewayAddress    `json:"networkGateway,omitempty"`
	Protocol              string             `json:"protocol"`
	NetworkMode           string             `json:"networkMode"`
	UID                   string             `json:"uid,omitempty"`
	Name                  string             `json:"name"`
	Namespace             string             `json:"namespace"`
	TrustDomain           string             `json:"trustDomain,omitempty"`
	ServiceAccount        string             `json:"serviceAccount,omitempty"`
	Network               string             `json:"network,omitempty"`
	WorkloadName          string             `json:"workloadName,omitempty"`
	WorkloadType          string             `json:"workloadType,omitempty"`
	CanonicalName         string             `json:"canonicalName,omitempty"`
	CanonicalRevision     string             `json:"canonicalRevision,omitempty"`
	Hostname              string             `json:"hostname,omitempty"`
	Node                  string             `json:"node,omitempty"`
	NativeTunnel          bool               `json:"nativeTunnel,omitempty"`
	ApplicationTunnel     *ApplicationTunnel `json:"applicationTunnel,omitempty"`
	AuthorizationPolicies []string           `json:"authorizationPolicies,omitempty"`
	Status                string             `json:"status"`
	ClusterID             string             `json:"clusterId"`
	Locality              Locality           `json:"locality,omitzero"`
	Services              []string           `json:"services,omitempty"`
	Capacity              uint32             `json:"capacity"`
}

// GatewayAddress is ztunnel's GatewayAddress; Destination is "network/ip" or "namespace/hostname".
type GatewayAddress struct {
	Destination   string `json:"destination"`
	HboneMtlsPort uint16 `json:"hboneMtlsPort"`
}

// ApplicationTunnel: port is an Option<u16> that serializes as null when absent.
type ApplicationTunnel struct {
	Protocol string  `json:"protocol"`
	Port     *uint16 `json:"port"`
}

type Locality struct {
	Region  string `json:"region"`
	Zone    string `json:"zone"`
	Subzone string `json:"subzone"`
}

// Service is ztunnel's state::service::Service (endpoints are filled from the workloads).
type Service struct {
	Name              string               `json:"name"`
	Namespace         string               `json:"namespace"`
	Hostname          string               `json:"hostname"`
	VIPs              []string             `json:"vips"`
	CIDRVIPs          []NetworkCIDR        `json:"cidrVips,omitempty"`
	Ports             map[string]uint16    `json:"ports"`
	Endpoints         map[string]*Endpoint `json:"endpoints"`
	SubjectAltNames   []string             `json:"subjectAltNames"`
	Waypoint          *GatewayAddress      `json:"waypoint,omitempty"`
	WeightedWaypoints []WeightedWaypoint   `json:"weightedWaypoints,omitempty"`
	LoadBalancer      *LoadBalancer        `json:"loadBalancer,omitempty"`
	IPFamilies        string               `json:"ipFamilies,omitempty"`
	Canonical         bool                 `json:"canonical"`
	Visibility        string               `json:"visibility"`
}

type NetworkCIDR struct {
	Network string `json:"network"`
	CIDR    string `json:"cidr"`
}

type WeightedWaypoint struct {
	Destination GatewayAddress `json:"destination"`
	Weight      uint32         `json:"weight"`
}

type LoadBalancer struct {
	RoutingPreferences []string `json:"routingPreferences"`
	Mode               string   `json:"mode"`
	HealthPolicy       string   `json:"healthPolicy"`
}

type Endpoint struct {
	WorkloadUID string            `json:"workloadUid"`
	Port        map[string]uint16 `json:"port"`
	Status      string            `json:"status"`
}

// Authorization is ztunnel's rbac::Authorization.
type Authorization struct {
	Name      string          `json:"name"`
	Namespace string          `json:"namespace"`
	Scope     string          `json:"scope"`
	Action    string          `json:"action"`
	Rules     [][][]RbacMatch `json:"rules"`
	DryRun    bool            `json:"dryRun"`
}

type RbacMatch struct {
	Namespaces          []StringMatch         `json:"namespaces,omitempty"`
	NotNamespaces       []StringMatch         `json:"notNamespaces,omitempty"`
	ServiceAccounts     []ServiceAccountMatch `json:"serviceAccounts,omitempty"`
	NotServiceAccounts  []ServiceAccountMatch `json:"notServiceAccounts,omitempty"`
	Principals          []StringMatch         `json:"principals,omitempty"`
	NotPrincipals       []StringMatch         `json:"notPrincipals,omitempty"`
	SourceIPs           []string              `json:"sourceIps,omitempty"`
	NotSourceIPs        []string              `json:"notSourceIps,omitempty"`
	DestinationIPs      []string              `json:"destinationIps,omitempty"`
	NotDestinationIPs   []string              `json:"notDestinationIps,omitempty"`
	DestinationPorts    []uint16              `json:"destinationPorts,omitempty"`
	NotDestinationPorts []uint16              `json:"notDestinationPorts,omitempty"`
}

// StringMatch is a serde externally tagged enum: {"Exact": "x"}, {"Presence": []}.
type StringMatch map[string]any

type ServiceAccountMatch struct {
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
}

// WorkloadState is one entry of the inpod admin handler ("workloadState", keyed by pod UID).
type WorkloadState struct {
	State       string       `json:"state"`
	Connections *Connections `json:"connections,omitempty"`
	Info        WorkloadInfo `json:"info"`
}

type Connections struct {
	Inbound  []any `json:"inbound"`
	Outbound []any `json:"outbound"`
}

type WorkloadInfo struct {
	Name           string `json:"name"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
}

// BuildInfo is ztunnel's version::BuildInfo.
type BuildInfo struct {
	Version        string `json:"version"`
	GitRevision    string `json:"gitRevision"`
	RustVersion    string `json:"rustVersion"`
	BuildProfile   string `json:"buildProfile"`
	BuildStatus    string `json:"buildStatus"`
	IstioVersion   string `json:"istioVersion"`
	CryptoProvider string `json:"cryptoProvider"`
}

// CertsDump is one entry of "certificates".
type CertsDump struct {
	Identity  string `json:"identity"`
	State     string `json:"state"`
	CertChain []any  `json:"certChain"`
	RootCerts []any  `json:"rootCerts"`
}

// LocalConfig is "staticConfig" (ztunnel's xds::LocalConfig, empty without a local file).
type LocalConfig struct {
	Workloads []any `json:"workloads"`
	Policies  []any `json:"policies"`
	Services  []any `json:"services"`
}

// Config is the part of ztunnel's config::Config the stand-in can state truthfully.
type Config struct {
	Proxy         bool    `json:"proxy"`
	DNSProxy      bool    `json:"dnsProxy"`
	Network       string  `json:"network"`
	LocalNode     *string `json:"localNode"`
	ProxyMode     string  `json:"proxyMode"`
	ClusterID     string  `json:"clusterId"`
	ClusterDomain string  `json:"clusterDomain"`
	XDSAddress    *string `json:"xdsAddress"`
	XDSOnDemand   bool    `json:"xdsOnDemand"`
	FakeCA        bool    `json:"fakeCa"`
	IPv6Enabled   bool    `json:"ipv6Enabled"`
}

// ConfigDump is the body of GET /config_dump.
type ConfigDump struct {
	Workloads      []*Workload                     `json:"workloads"`
	Services       []*Service                      `json:"services"`
	Policies       []*Authorization                `json:"policies"`
	StagedServices map[string]map[string]*Endpoint `json:"stagedServices"`
	StaticConfig   LocalConfig                     `json:"staticConfig"`
	Version        BuildInfo                       `json:"version"`
	Config         Config                          `json:"config"`
	Certificates   []CertsDump                     `json:"certificates"`
	WorkloadState  map[string]WorkloadState        `json:"workloadState"`
}
