// The namespace call graph: which namespaces call which, and the evidence for each edge. Built
// from configuration (AuthorizationPolicy sources, routes, ServiceEntries, Sidecar egress hosts)
// and, when given, from traffic Prometheus observed. Pure: observed edges come in as data.

import { serviceOfHost } from "../assess/routing.js";
import { K } from "../inventory/kinds.js";
import { byCodePoint, type Inventory, type KubeObject } from "../inventory/model.js";
import { isWaypoint } from "../mesh/waypoint.js";

export interface CallEdge {
  from: string;
  to: string;
  /** Why we believe `from` calls `to`, one phrase per piece of evidence. */
  evidence: string[];
}

/** An edge Prometheus saw: source_workload_namespace -> destination_service_namespace. */
export interface ObservedEdge {
  from: string;
  to: string;
  /** e.g. "1200 requests", "40 TCP connections" over the window. */
  what: string[];
}

export class CallGraph {
  private readonly edges = new Map<string, CallEdge>();
  private readonly into = new Map<string, CallEdge[]>();
  private readonly outOf = new Map<string, CallEdge[]>();

  add(from: string, to: string, evidence: string): void {
    if (!from || !to || from === to) return;
    const key = `${from}\0${to}`;
    const edge = this.edges.get(key);
    if (edge) {
      if (!edge.evidence.includes(evidence)) edge.evidence.push(evidence);
      return;
    }
    const fresh = { from, to, evidence: [evidence] };
    this.edges.set(key, fresh);
    this.into.set(to, [...(this.into.get(to) ?? []), fresh]);
    this.outOf.set(from, [...(this.outOf.get(from) ?? []), fresh]);
  }

  all(): CallEdge[] {
    return [...this.edges.values()].sort((a, b) => byCodePoint(a.from, b.from) || byCodePoint(a.to, b.to));
  }

  /** Edges into `namespace`: who calls it (indexed: checks ask once per namespace). */
  callersOf(namespace: string): CallEdge[] {
    return [...(this.into.get(namespace) ?? [])].sort((a, b) => byCodePoint(a.from, b.from));
  }

  calleesOf(namespace: string): CallEdge[] {
    return [...(this.outOf.get(namespace) ?? [])].sort((a, b) => byCodePoint(a.to, b.to));
  }
}

/** The namespace a SPIFFE principal or principal pattern names: `<td>/ns/<ns>/sa/<sa>`. */
export function namespaceOfPrincipal(principal: string): string | undefined {
  const match = /(?:^|\/)ns\/([^/]+)\/sa\//.exec(principal);
  const ns = match?.[1];
  return ns && !ns.includes("*") ? ns : undefined;
}

const exact = (values: unknown): string[] =>
  (Array.isArray(values) ? values : []).filter((v): v is string => typeof v === "string" && !v.includes("*"));

const name = (o: KubeObject) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;

/** ALLOW policies name their callers: principals, namespaces, `source.namespace`/`source.principal` conditions. */
function fromAuthorizationPolicies(inventory: Inventory, rootNamespace: string, graph: CallGraph): void {
  for (const policy of inventory.list(K.AuthorizationPolicy)) {
    const to = policy.metadata.namespace ?? "";
    // A root-namespace policy without selector applies to every namespace: it names no callee.
    if (to === rootNamespace) continue;
    if ((policy.spec?.action ?? "ALLOW") !== "ALLOW") continue;
    for (const rule of (policy.spec?.rules ?? []) as Record<string, unknown>[]) {
      for (const from of (rule?.from ?? []) as { source?: Record<string, unknown> }[]) {
        for (const p of exact(from?.source?.principals)) {
          const ns = namespaceOfPrincipal(p);
          if (ns) graph.add(ns, to, `${name(policy)} allows principal ${p}`);
        }
        for (const ns of exact(from?.source?.namespaces))
          graph.add(ns, to, `${name(policy)} allows namespace ${ns}`);
      }
      for (const when of (rule?.when ?? []) as { key?: string; values?: unknown }[]) {
        for (const v of exact(when?.values)) {
          const ns =
            when?.key === "source.namespace"
              ? v
              : when?.key === "source.principal"
                ? namespaceOfPrincipal(v)
                : undefined;
          if (ns) graph.add(ns, to, `${name(policy)} allows ${when?.key} ${v}`);
        }
      }
    }
  }
}

/** An Istio Gateway named by a VirtualService (`ns/name` or `name` in the VS's namespace). */
function gatewayNamespace(ref: string, vsNamespace: string): string {
  const slash = ref.indexOf("/");
  return slash < 0 ? vsNamespace : ref.slice(0, slash);
}

export interface IngressBackend {
  service: { namespace: string; name: string };
  /** The gateway's namespace (where its Istio Gateway or Gateway API Gateway object lives). */
  gatewayNamespace: string;
  /** e.g. "VirtualService web/frontend on Gateway istio-system/public". */
  via: string;
}

function vsDestinations(vs: KubeObject): { namespace: string; name: string }[] {
  const out: { namespace: string; name: string }[] = [];
  const ns = vs.metadata.namespace ?? "";
  for (const section of ["http", "tcp", "tls"])
    for (const route of (vs.spec?.[section] ?? []) as { route?: { destination?: { host?: string } }[] }[])
      for (const dest of route?.route ?? []) {
        const svc = serviceOfHost(dest?.destination?.host ?? "", ns);
        if (svc && !out.some((o) => o.namespace === svc.namespace && o.name === svc.name)) out.push(svc);
      }
  return out;
}

interface RouteRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
}

function routeBackends(route: KubeObject): { namespace: string; name: string }[] {
  const ns = route.metadata.namespace ?? "";
  const out: { namespace: string; name: string }[] = [];
  for (const rule of (route.spec?.rules ?? []) as { backendRefs?: RouteRef[] }[])
    for (const b of rule?.backendRefs ?? [])
      if ((b.kind ?? "Service") === "Service" && (b.group ?? "") === "" && b.name)
        out.push({ namespace: b.namespace ?? ns, name: b.name });
  return out;
}

/** Services that ingress gateways route to: VirtualServices bound to Istio Gateways, routes on non-waypoint Gateways. */
export function ingressBackends(inventory: Inventory): IngressBackend[] {
  const out: IngressBackend[] = [];
  for (const vs of inventory.list(K.VirtualService)) {
    const ns = vs.metadata.namespace ?? "";
    const gateways = ((vs.spec?.gateways ?? []) as string[]).filter((g) => g !== "mesh");
    for (const gw of gateways)
      for (const service of vsDestinations(vs))
        out.push({
          service,
          gatewayNamespace: gatewayNamespace(gw, ns),
          via: `${name(vs)} on Gateway ${gw.includes("/") ? gw : `${ns}/${gw}`}`,
        });
  }
  for (const kind of [K.HTTPRoute, K.GRPCRoute] as const)
    for (const route of inventory.list(kind)) {
      const ns = route.metadata.namespace ?? "";
      for (const parent of (route.spec?.parentRefs ?? []) as RouteRef[]) {
        if ((parent.kind ?? "Gateway") !== "Gateway" || !parent.name) continue;
        const gwNs = parent.namespace ?? ns;
        const gateway = inventory.get(K.Gateway, gwNs, parent.name);
        if (gateway && isWaypoint(gateway)) continue;
        for (const service of routeBackends(route))
          out.push({
            service,
            gatewayNamespace: gwNs,
            via: `${name(route)} on Gateway ${gwNs}/${parent.name}`,
          });
      }
    }
  return out;
}

/** Routes: a client namespace's own (consumer) routes to other namespaces, and ingress gateways to their backends. */
function fromRoutes(inventory: Inventory, graph: CallGraph): void {
  for (const vs of inventory.list(K.VirtualService)) {
    const gateways = (vs.spec?.gateways ?? []) as string[];
    if (gateways.length > 0 && !gateways.includes("mesh")) continue;
    const ns = vs.metadata.namespace ?? "";
    for (const svc of vsDestinations(vs))
      graph.add(ns, svc.namespace, `${name(vs)} routes to Service ${svc.namespace}/${svc.name}`);
  }
  for (const kind of [K.HTTPRoute, K.GRPCRoute] as const)
    for (const route of inventory.list(kind)) {
      const ns = route.metadata.namespace ?? "";
      for (const parent of (route.spec?.parentRefs ?? []) as RouteRef[])
        if (parent.kind === "Service" && (parent.group ?? "") === "" && parent.name)
          graph.add(
            ns,
            parent.namespace ?? ns,
            `${name(route)} is a consumer route for Service ${parent.namespace ?? ns}/${parent.name}`,
          );
      for (const svc of routeBackends(route))
        graph.add(ns, svc.namespace, `${name(route)} sends to Service ${svc.namespace}/${svc.name}`);
    }
  for (const b of ingressBackends(inventory))
    graph.add(
      b.gatewayNamespace,
      b.service.namespace,
      `${b.via} routes to Service ${b.service.namespace}/${b.service.name}`,
    );
}

/** ServiceEntries: endpoints that are other namespaces' Services, and exportTo naming consumer namespaces. */
function fromServiceEntries(inventory: Inventory, graph: CallGraph): void {
  for (const se of inventory.list(K.ServiceEntry)) {
    const ns = se.metadata.namespace ?? "";
    for (const ep of (se.spec?.endpoints ?? []) as { address?: string }[]) {
      const svc = serviceOfHost(ep?.address ?? "", ns);
      if (svc && (ep.address ?? "").includes("."))
        graph.add(ns, svc.namespace, `${name(se)} has endpoint ${ep.address}`);
    }
    for (const to of exact(se.spec?.exportTo))
      if (to !== "." && to !== "~") graph.add(to, ns, `${name(se)} is exported to ${to}`);
  }
  // A Sidecar's egress hosts `ns/host` say which namespaces its workloads call.
  for (const sidecar of inventory.list(K.Sidecar)) {
    const ns = sidecar.metadata.namespace ?? "";
    for (const egress of (sidecar.spec?.egress ?? []) as { hosts?: string[] }[])
      for (const host of egress?.hosts ?? []) {
        const target = host.split("/")[0] ?? "";
        if (target && target !== "*" && target !== "." && target !== "~")
          graph.add(ns, target, `${name(sidecar)} egress lists ${host}`);
      }
  }
}

export function callGraphOf(
  inventory: Inventory,
  rootNamespace: string,
  observed: readonly ObservedEdge[] = [],
): CallGraph {
  const graph = new CallGraph();
  fromAuthorizationPolicies(inventory, rootNamespace, graph);
  fromRoutes(inventory, graph);
  fromServiceEntries(inventory, graph);
  for (const edge of observed) graph.add(edge.from, edge.to, `observed: ${edge.what.join(", ")}`);
  return graph;
}
