package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	v3 "istio.io/istio/pilot/pkg/xds/v3"

	"github.com/ambient-migrate/testbed/internal/envoy"
)

// xdsProxy keeps one delta ADS stream to istiod open as one pod's Envoy: CDS and LDS wildcard,
// then EDS and RDS by the names the clusters and listeners refer to, ACKing every response.
type xdsProxy struct {
	conn  *grpc.ClientConn
	key   string
	node  *core.Node
	store *envoy.Store

	mu        sync.Mutex
	connected bool
	lastErr   string
	responses int
}

func (p *xdsProxy) run(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		start := time.Now()
		err := p.stream(ctx)
		p.setState(false, err)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > 30*time.Second {
			backoff = time.Second
		}
		log.Printf("%s: xds stream ended: %v; reconnecting in %v", p.key, err, backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 15*time.Second)
	}
}

func (p *xdsProxy) setState(connected bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.connected = connected
	if err != nil {
		p.lastErr = err.Error()
	}
}

func newMessage(typeURL string) (proto.Message, error) {
	switch typeURL {
	case v3.ClusterType:
		return &cluster.Cluster{}, nil
	case v3.ListenerType:
		return &listener.Listener{}, nil
	case v3.RouteType:
		return &route.RouteConfiguration{}, nil
	case v3.EndpointType:
		return &endpoint.ClusterLoadAssignment{}, nil
	}
	return nil, fmt.Errorf("unexpected type %s", typeURL)
}

func (p *xdsProxy) stream(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(p.conn).DeltaAggregatedResources(ctx)
	if err != nil {
		return err
	}
	send := func(req *discovery.DeltaDiscoveryRequest) error { return stream.Send(req) }
	// Only the first request of a stream carries the node (istiod: "missing node information").
	if err := send(&discovery.DeltaDiscoveryRequest{Node: p.node, TypeUrl: v3.ClusterType}); err != nil {
		return err
	}
	if err := send(&discovery.DeltaDiscoveryRequest{TypeUrl: v3.ListenerType}); err != nil {
		return err
	}
	subscribed := map[string][]string{v3.EndpointType: nil, v3.RouteType: nil}
	seen := map[string]bool{}
	first := true
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		if first {
			first = false
			p.setState(true, nil)
			log.Printf("%s: connected as %s", p.key, p.node.Id)
		}
		replace := !seen[resp.TypeUrl]
		seen[resp.TypeUrl] = true
		var errs []error
		updates := make([]envoy.Resource, 0, len(resp.Resources))
		now := time.Now()
		for _, r := range resp.Resources {
			m, err := newMessage(resp.TypeUrl)
			if err == nil {
				err = r.Resource.UnmarshalTo(m)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", r.Name, err))
				continue
			}
			updates = append(updates, envoy.Resource{Name: r.Name, Version: r.Version, Message: m, Updated: now})
		}
		p.store.Apply(resp.TypeUrl, updates, resp.RemovedResources, replace)
		ack := &discovery.DeltaDiscoveryRequest{TypeUrl: resp.TypeUrl, ResponseNonce: resp.Nonce}
		if len(errs) > 0 {
			msg := errors.Join(errs...).Error()
			log.Printf("%s: rejected part of %s: %s", p.key, resp.TypeUrl, msg)
			ack.ErrorDetail = &status.Status{Code: 3, Message: msg}
		}
		if err := send(ack); err != nil {
			return err
		}
		p.mu.Lock()
		p.responses++
		p.mu.Unlock()
		// Subscription changes go in their own request, never in an ACK (istiod's delta.go).
		eds, rds := p.store.Wanted()
		for typeURL, want := range map[string][]string{v3.EndpointType: eds, v3.RouteType: rds} {
			add, drop := diff(subscribed[typeURL], want)
			if len(add) == 0 && len(drop) == 0 {
				continue
			}
			if err := send(&discovery.DeltaDiscoveryRequest{
				TypeUrl: typeURL, ResourceNamesSubscribe: add, ResourceNamesUnsubscribe: drop,
			}); err != nil {
				return err
			}
			subscribed[typeURL] = want
			if len(drop) > 0 {
				p.store.Apply(typeURL, nil, drop, false)
			}
		}
	}
}

func diff(have, want []string) (add, drop []string) {
	haveSet := make(map[string]bool, len(have))
	for _, h := range have {
		haveSet[h] = true
	}
	wantSet := make(map[string]bool, len(want))
	for _, w := range want {
		wantSet[w] = true
		if !haveSet[w] {
			add = append(add, w)
		}
	}
	for _, h := range have {
		if !wantSet[h] {
			drop = append(drop, h)
		}
	}
	return add, drop
}
