package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math"
	"strings"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"

	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pkg/workloadapi"
	"istio.io/istio/pkg/workloadapi/security"

	"github.com/ambient-migrate/testbed/internal/ztunnel"
)

// identity is how the stand-in presents itself to istiod, as ztunnel's xds client does
// (ztunnel src/xds/client.rs node()).
type identity struct {
	IP, PodName, Namespace, NodeName, ClusterID string
}

func (id identity) node() *core.Node {
	meta, _ := structpb.NewStruct(map[string]any{
		"NAME": id.PodName, "NAMESPACE": id.Namespace, "INSTANCE_IPS": id.IP,
		"NODE_NAME": id.NodeName, "CLUSTER_ID": id.ClusterID,
	})
	return &core.Node{
		Id:       fmt.Sprintf("ztunnel~%s~%s.%s~%s.svc.cluster.local", id.IP, id.PodName, id.Namespace, id.Namespace),
		Metadata: meta,
	}
}

// xdsClient subscribes to istiod's workload and authorization resources over delta xDS
// (wildcard, like a ztunnel without on-demand) and keeps the store in step.
type xdsClient struct {
	addr  string
	id    identity
	store *ztunnel.Store
	// synced flips once the first full responses of both types arrived.
	onSync func()
}

func (c *xdsClient) run(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		start := time.Now()
		err := c.stream(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > 30*time.Second {
			backoff = time.Second
		}
		log.Printf("xds: stream to %s ended: %v; reconnecting in %v", c.addr, err, backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 15*time.Second)
	}
}

func (c *xdsClient) stream(ctx context.Context) error {
	conn, err := grpc.NewClient(c.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).
		DeltaAggregatedResources(ctx, grpc.MaxCallRecvMsgSize(math.MaxInt32))
	if err != nil {
		return err
	}
	node := c.id.node()
	for _, typeURL := range []string{v3.AddressType, v3.WorkloadAuthorizationType} {
		if err := stream.Send(&discovery.DeltaDiscoveryRequest{Node: node, TypeUrl: typeURL}); err != nil {
			return err
		}
	}
	log.Printf("xds: subscribed to %s and %s at %s as %s", v3.AddressType, v3.WorkloadAuthorizationType, c.addr, node.Id)
	// The first response of each type on a stream is the full wildcard set.
	seen := map[string]bool{}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		replace := !seen[resp.TypeUrl]
		seen[resp.TypeUrl] = true
		errs := c.apply(resp, replace)
		ack := &discovery.DeltaDiscoveryRequest{Node: &core.Node{Id: node.Id}, TypeUrl: resp.TypeUrl, ResponseNonce: resp.Nonce}
		if len(errs) > 0 {
			msg := errors.Join(errs...).Error()
			log.Printf("xds: rejected part of %s: %s", resp.TypeUrl, msg)
			ack.ErrorDetail = &status.Status{Message: msg}
		}
		if err := stream.Send(ack); err != nil {
			return err
		}
		w, s, p := c.store.Counts()
		log.Printf("xds: %s: %d updated, %d removed (full=%t); now %d workloads, %d services, %d policies",
			short(resp.TypeUrl), len(resp.Resources), len(resp.RemovedResources), replace, w, s, p)
		if seen[v3.AddressType] && seen[v3.WorkloadAuthorizationType] && c.onSync != nil {
			c.onSync()
		}
	}
}

func (c *xdsClient) apply(resp *discovery.DeltaDiscoveryResponse, replace bool) []error {
	var errs []error
	switch resp.TypeUrl {
	case v3.AddressType:
		updates := map[string]*workloadapi.Address{}
		for _, r := range resp.Resources {
			a := &workloadapi.Address{}
			if err := r.Resource.UnmarshalTo(a); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", r.Name, err))
				continue
			}
			updates[r.Name] = a
		}
		return append(errs, c.store.ApplyAddresses(updates, resp.RemovedResources, replace)...)
	case v3.WorkloadAuthorizationType:
		updates := map[string]*security.Authorization{}
		for _, r := range resp.Resources {
			a := &security.Authorization{}
			if err := r.Resource.UnmarshalTo(a); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", r.Name, err))
				continue
			}
			updates[r.Name] = a
		}
		return append(errs, c.store.ApplyAuthorizations(updates, resp.RemovedResources, replace)...)
	}
	return []error{fmt.Errorf("unexpected type %s", resp.TypeUrl)}
}

func short(typeURL string) string { return typeURL[strings.LastIndex(typeURL, "/")+1:] }
