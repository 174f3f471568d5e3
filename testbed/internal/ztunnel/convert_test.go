package ztunnel

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"istio.io/istio/istioctl/pkg/writer/ztunnel/configdump"
	"istio.io/istio/pkg/workloadapi"
	"istio.io/istio/pkg/workloadapi/security"
)

var update = flag.Bool("update", false, "rewrite golden files")

func ip(s string) []byte { return netip.MustParseAddr(s).AsSlice() }

// What istiod sends a ztunnel for a small mesh: a sidecar pod that speaks HBONE itself, a pod
// captured by ambient behind a waypoint, a plain pod, their services and one L4 policy.
func sampleState(t *testing.T) *Store {
	t.Helper()
	waypointHost := &workloadapi.GatewayAddress{
		Destination:   &workloadapi.GatewayAddress_Hostname{Hostname: &workloadapi.NamespacedHostname{Namespace: "shop", Hostname: "waypoint.shop.svc.cluster.local"}},
		HboneMtlsPort: 15008,
	}
	addrs := map[string]*workloadapi.Address{
		"Kubernetes//Pod/shop/cart-7d9f-abcde": {Type: &workloadapi.Address_Workload{Workload: &workloadapi.Workload{
			Uid: "Kubernetes//Pod/shop/cart-7d9f-abcde", Name: "cart-7d9f-abcde", Namespace: "shop",
			Addresses: [][]byte{ip("10.244.0.7")}, TunnelProtocol: workloadapi.TunnelProtocol_HBONE,
			TrustDomain: "cluster.local", ServiceAccount: "cart", WorkloadName: "cart", CanonicalName: "cart",
			CanonicalRevision: "latest", Node: "kwok-node-0", ClusterId: "Kubernetes", Waypoint: waypointHost,
			Services: map[string]*workloadapi.PortList{"shop/cart.shop.svc.cluster.local": {Ports: []*workloadapi.Port{{ServicePort: 80, TargetPort: 8080}}}},
		}}},
		"Kubernetes//Pod/legacy/api-5c-xyz": {Type: &workloadapi.Address_Workload{Workload: &workloadapi.Workload{
			Uid: "Kubernetes//Pod/legacy/api-5c-xyz", Name: "api-5c-xyz", Namespace: "legacy",
			Addresses: [][]byte{ip("10.244.0.9")}, TunnelProtocol: workloadapi.TunnelProtocol_HBONE, NativeTunnel: true,
			ServiceAccount: "api", WorkloadName: "api", CanonicalName: "api", CanonicalRevision: "v1",
			Node: "kwok-node-0", WorkloadType: workloadapi.WorkloadType_DEPLOYMENT,
			Services: map[string]*workloadapi.PortList{"legacy/api.legacy.svc.cluster.local": {Ports: []*workloadapi.Port{{ServicePort: 8080, TargetPort: 8080}}}},
		}}},
		"Kubernetes//Pod/plain/job-1": {Type: &workloadapi.Address_Workload{Workload: &workloadapi.Workload{
			Uid: "Kubernetes//Pod/plain/job-1", Name: "job-1", Namespace: "plain", Addresses: [][]byte{ip("10.244.0.11")},
			WorkloadName: "job-1", WorkloadType: workloadapi.WorkloadType_POD, Node: "kwok-node-1",
			Status:   workloadapi.WorkloadStatus_UNHEALTHY,
			Capacity: wrapperspb.UInt32(3),
			Locality: &workloadapi.Locality{Region: "r1", Zone: "z1"},
			Services: map[string]*workloadapi.PortList{"plain/nosvc.plain.svc.cluster.local": {Ports: []*workloadapi.Port{{ServicePort: 9, TargetPort: 9}}}},
		}}},
		"shop/cart.shop.svc.cluster.local": {Type: &workloadapi.Address_Service{Service: &workloadapi.Service{
			Name: "cart", Namespace: "shop", Hostname: "cart.shop.svc.cluster.local",
			Addresses: []*workloadapi.NetworkAddress{{Address: ip("10.96.0.20")}},
			Ports:     []*workloadapi.Port{{ServicePort: 80, TargetPort: 8080}},
			Waypoint:  waypointHost,
		}}},
		"shop/waypoint.shop.svc.cluster.local": {Type: &workloadapi.Address_Service{Service: &workloadapi.Service{
			Name: "waypoint", Namespace: "shop", Hostname: "waypoint.shop.svc.cluster.local",
			Addresses:     []*workloadapi.NetworkAddress{{Address: ip("10.96.0.30")}},
			Ports:         []*workloadapi.Port{{ServicePort: 15021, TargetPort: 15021}, {ServicePort: 15008, TargetPort: 15008}},
			IpFamilies:    workloadapi.IPFamilies_IPV4_ONLY,
			LoadBalancing: &workloadapi.LoadBalancing{Mode: workloadapi.LoadBalancing_FAILOVER, RoutingPreference: []workloadapi.LoadBalancing_Scope{workloadapi.LoadBalancing_NETWORK}},
		}}},
		"legacy/api.legacy.svc.cluster.local": {Type: &workloadapi.Address_Service{Service: &workloadapi.Service{
			Name: "api", Namespace: "legacy", Hostname: "api.legacy.svc.cluster.local",
			Addresses: []*workloadapi.NetworkAddress{{Address: ip("10.96.0.40")}},
			Ports:     []*workloadapi.Port{{ServicePort: 8080, TargetPort: 8080}},
		}}},
	}
	policies := map[string]*security.Authorization{
		"shop/allow-frontend": {
			Name: "allow-frontend", Namespace: "shop", Scope: security.Scope_WORKLOAD_SELECTOR, Action: security.Action_ALLOW,
			Groups: []*security.Group{{Rules: []*security.Rules{{Matches: []*security.Match{{
				Principals:       []*security.StringMatch{{MatchType: &security.StringMatch_Exact{Exact: "cluster.local/ns/shop/sa/frontend"}}},
				Namespaces:       []*security.StringMatch{{MatchType: &security.StringMatch_Presence{Presence: &emptypb.Empty{}}}},
				SourceIps:        []*security.Address{{Address: ip("10.0.0.0"), Length: 8}},
				DestinationPorts: []uint32{8080},
			}}}}}},
		},
	}
	s := NewStore()
	if errs := s.ApplyAddresses(addrs, nil, true); len(errs) > 0 {
		t.Fatal(errs)
	}
	if errs := s.ApplyAuthorizations(policies, nil, true); len(errs) > 0 {
		t.Fatal(errs)
	}
	return s
}

func sampleExtras() Extras {
	node := "kwok-node-0"
	xds := "127.0.0.1:15010"
	return Extras{
		Version: BuildInfo{Version: "testbed", IstioVersion: "1.31-dev"},
		Config:  Config{Proxy: true, DNSProxy: true, LocalNode: &node, ProxyMode: "Shared", ClusterID: "Kubernetes", ClusterDomain: "cluster.local", XDSAddress: &xds},
		WorkloadState: map[string]WorkloadState{"0b6c-uid": {
			State: "Up", Connections: &Connections{Inbound: []any{}, Outbound: []any{}},
			Info: WorkloadInfo{Name: "cart-7d9f-abcde", Namespace: "shop", ServiceAccount: "cart"},
		}},
	}
}

func TestRenderMatchesGolden(t *testing.T) {
	out, err := Render(sampleState(t).Dump(sampleExtras()))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "config_dump.golden.json")
	if *update {
		if err := os.WriteFile(golden, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(bytes.TrimRight(want, "\n")) != string(out) {
		t.Fatalf("config_dump differs from %s (run with -update and review):\n%s", golden, out)
	}
}

// Facts of ztunnel's serialization, asserted one by one so the golden file cannot drift silently.
func TestWorkloadSerializationFacts(t *testing.T) {
	d := sampleState(t).Dump(sampleExtras())
	raw, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"workloads", "services", "policies", "certificates", "workloadState", "config", "version", "stagedServices", "staticConfig"} {
		if _, ok := generic[k]; !ok {
			t.Errorf("top-level key %q missing", k)
		}
	}
	byName := map[string]map[string]any{}
	for _, w := range generic["workloads"].([]any) {
		m := w.(map[string]any)
		byName[m["name"].(string)] = m
	}
	cart, api, job := byName["cart-7d9f-abcde"], byName["api-5c-xyz"], byName["job-1"]
	checks := []struct {
		what      string
		got, want any
	}{
		{"captured pod protocol", cart["protocol"], "HBONE"},
		{"captured pod has no nativeTunnel (skipped when false)", cart["nativeTunnel"], nil},
		{"sidecar pod nativeTunnel", api["nativeTunnel"], true},
		{"waypoint by hostname", cart["waypoint"], map[string]any{"destination": "shop/waypoint.shop.svc.cluster.local", "hboneMtlsPort": json.Number("15008")}},
		{"plain pod protocol", job["protocol"], "TCP"},
		{"empty service account defaults", job["serviceAccount"], "default"},
		{"empty trust domain defaults", job["trustDomain"], "cluster.local"},
		{"empty cluster id defaults", job["clusterId"], "Kubernetes"},
		{"workload type lower case", api["workloadType"], "deployment"},
		{"unhealthy status", job["status"], "Unhealthy"},
		{"capacity default", cart["capacity"], json.Number("1")},
		{"network mode", cart["networkMode"], "Standard"},
		{"no waypoint is omitted", api["waypoint"], nil},
		{"services listed", cart["services"], []any{"shop/cart.shop.svc.cluster.local"}},
	}
	for _, c := range checks {
		if !jsonEqual(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.what, c.got, c.want)
		}
	}
	// The unhealthy job's endpoint belongs to a service ztunnel never received: staged, unfiltered.
	if _, ok := d.StagedServices["plain/nosvc.plain.svc.cluster.local"]["Kubernetes//Pod/plain/job-1"]; !ok {
		t.Errorf("staged endpoint missing: %v", d.StagedServices)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// The consumer: real istioctl's parser and printer read the dump as they read a real ztunnel's.
func TestIstioctlReadsTheDump(t *testing.T) {
	raw, err := Render(sampleState(t).Dump(sampleExtras()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cw := &configdump.ConfigWriter{Stdout: &out, FullDump: raw}
	if err := cw.Prime(raw); err != nil {
		t.Fatal(err)
	}
	if err := cw.PrintWorkloadSummary(configdump.WorkloadFilter{}); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"NAMESPACE POD NAME        ADDRESS     NODE        WAYPOINT PROTOCOL",
		"legacy    api-5c-xyz      10.244.0.9  kwok-node-0 None     HBONE",
		"plain     job-1           10.244.0.11 kwok-node-1 None     TCP",
		"shop      cart-7d9f-abcde 10.244.0.7  kwok-node-0 waypoint HBONE",
		"",
	}, "\n")
	if out.String() != want {
		t.Errorf("istioctl workload summary:\n%s\nwant:\n%s", out.String(), want)
	}

	out.Reset()
	if err := cw.PrintServiceSummary(configdump.ServiceFilter{}); err != nil {
		t.Fatal(err)
	}
	wantServices := strings.Join([]string{
		"NAMESPACE SERVICE NAME SERVICE VIP WAYPOINT ENDPOINTS",
		"legacy    api          10.96.0.40  None     1/1",
		"shop      cart         10.96.0.20  waypoint 1/1",
		"shop      waypoint     10.96.0.30  None     0/0",
		"",
	}, "\n")
	if out.String() != wantServices {
		t.Errorf("istioctl service summary:\n%s\nwant:\n%s", out.String(), wantServices)
	}
	out.Reset()
	if err := cw.PrintPolicySummary(configdump.PolicyFilter{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "allow-frontend") || !strings.Contains(out.String(), "Allow") {
		t.Errorf("istioctl policy summary:\n%s", out.String())
	}
}

func TestRemovalAndReplace(t *testing.T) {
	s := sampleState(t)
	s.ApplyAddresses(nil, []string{"Kubernetes//Pod/plain/job-1", "legacy/api.legacy.svc.cluster.local"}, false)
	if w, svc, _ := s.Counts(); w != 2 || svc != 2 {
		t.Fatalf("after removal: %d workloads, %d services", w, svc)
	}
	s.ApplyAddresses(map[string]*workloadapi.Address{}, nil, true)
	if w, svc, p := s.Counts(); w != 0 || svc != 0 || p != 1 {
		t.Fatalf("after replace: %d workloads, %d services, %d policies", w, svc, p)
	}
	errs := s.ApplyAddresses(map[string]*workloadapi.Address{"bad": {Type: &workloadapi.Address_Workload{Workload: &workloadapi.Workload{
		Uid: "bad", Addresses: [][]byte{{1, 2, 3}},
	}}}}, nil, false)
	if len(errs) != 1 {
		t.Fatalf("a 3-byte address must be rejected, got %v", errs)
	}
}
