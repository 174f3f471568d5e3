// What a routing decision does, in terms that do not depend on how istiod named things: the
// pods behind each destination (a DestinationRule subset cluster on the sidecar and a subset
// Service on the waypoint both come down to a pod selector), the weights, the rewritten path
// and host, header mutations, redirects, direct responses, timeouts, retries and mirrors.

import type { HeaderValueOption, Route, RouteAction } from "./envoy.js";
import { rewriteAll } from "./regex.js";

/** Where a cluster sends traffic: the Service host, its port and the subset, parsed from the name. */
export interface ClusterTarget {
  host: string;
  port: number;
  subset: string;
}

/**
 * Sidecar outbound clusters are `outbound|port|subset|host`; waypoint clusters for services it
 * owns `inbound-vip|port|http[/subset]|host` (model.BuildSubsetKey; cluster_waypoint.go).
 */
export function clusterTarget(name: string): ClusterTarget | undefined {
  const parts = name.split("|");
  if (parts.length !== 4) return undefined;
  const [dir, port, subset, host] = parts as [string, string, string, string];
  if (dir === "outbound") return { host, port: Number(port), subset };
  if (dir === "inbound-vip") {
    const slash = subset.indexOf("/");
    return { host, port: Number(port), subset: slash < 0 ? "" : subset.slice(slash + 1) };
  }
  return undefined;
}

/** Names a destination by what it reaches; the resolver knows Services, subsets and pods. */
export type DestinationResolver = (target: ClusterTarget) => string;

export interface Effect {
  /** "route", "redirect", "direct" or "none" (no route: Envoy answers 404). */
  action: string;
  /** Destination (as the resolver names it) → percent of requests, for "route". */
  destinations?: Record<string, number>;
  /** The host the upstream receives (the path depends on the request: rewrittenPath). */
  host?: string;
  requestHeaders?: string[];
  responseHeaders?: string[];
  timeout?: string;
  retries?: string;
  mirrors?: string[];
  redirect?: string;
  direct?: string;
}

function headerOps(add: HeaderValueOption[] | undefined, remove: string[] | undefined): string[] {
  const ops = (add ?? []).map((h) => {
    const mode =
      h.append_action ?? (h.append === false ? "OVERWRITE_IF_EXISTS_OR_ADD" : "APPEND_IF_EXISTS_OR_ADD");
    return `${mode === "APPEND_IF_EXISTS_OR_ADD" ? "add" : mode === "OVERWRITE_IF_EXISTS_OR_ADD" ? "set" : mode} ${h.header.key.toLowerCase()}: ${h.header.value ?? ""}`;
  });
  for (const r of remove ?? []) ops.push(`remove ${r.toLowerCase()}`);
  return ops.sort();
}

function destinationName(cluster: string, resolve: DestinationResolver): string {
  const target = clusterTarget(cluster);
  return target ? resolve(target) : cluster;
}

/** The path after prefix_rewrite or regex_rewrite (RE2 \N references in the substitution). */
export function rewrittenPath(route: Route, path: string): string {
  const action: RouteAction = route.route ?? {};
  const q = path.search(/[?#]/);
  const [p, rest] = q < 0 ? [path, ""] : [path.slice(0, q), path.slice(q)];
  if (action.prefix_rewrite !== undefined) {
    const m = route.match;
    const prefix = m.prefix ?? m.path_separated_prefix ?? m.path;
    if (prefix !== undefined) return action.prefix_rewrite + p.slice(prefix.length) + rest;
  }
  if (action.regex_rewrite) {
    const { pattern, substitution } = action.regex_rewrite;
    const out = rewriteAll(pattern.regex, p, substitution);
    return out === undefined ? `${p}${rest} (regex_rewrite ${pattern.regex} not evaluated)` : out + rest;
  }
  return path;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

/** What a route does whatever the request (the rewritten path aside: see rewrittenPath). */
export function baseEffect(
  route: Route | undefined,
  authority: string,
  resolve: DestinationResolver,
): Effect {
  if (!route) return { action: "none" };
  const requestHeaders = headerOps(route.request_headers_to_add, route.request_headers_to_remove);
  const responseHeaders = headerOps(route.response_headers_to_add, route.response_headers_to_remove);
  const common = {
    ...(requestHeaders.length > 0 ? { requestHeaders } : {}),
    ...(responseHeaders.length > 0 ? { responseHeaders } : {}),
  };
  if (route.redirect) return { action: "redirect", redirect: canonicalJson(route.redirect), ...common };
  if (route.direct_response)
    return {
      action: "direct",
      direct: `${route.direct_response.status} ${route.direct_response.body?.inline_string ?? ""}`.trim(),
      ...common,
    };
  const a = route.route ?? {};
  const destinations: Record<string, number> = {};
  const perCluster: string[] = [];
  if (a.cluster !== undefined) destinations[destinationName(a.cluster, resolve)] = 100;
  else if (a.weighted_clusters) {
    const clusters = a.weighted_clusters.clusters.filter((c) => (c.weight ?? 0) > 0);
    const total = clusters.reduce((s, c) => s + (c.weight ?? 0), 0);
    for (const c of clusters) {
      const name = destinationName(c.name, resolve);
      destinations[name] = (destinations[name] ?? 0) + (100 * (c.weight ?? 0)) / total;
      const ops = [
        ...headerOps(c.request_headers_to_add, c.request_headers_to_remove),
        ...headerOps(c.response_headers_to_add, c.response_headers_to_remove).map((o) => `response ${o}`),
      ];
      if (ops.length > 0) perCluster.push(`${name}: ${ops.join(", ")}`);
    }
  } else if (a.cluster_header !== undefined) destinations[`header ${a.cluster_header}`] = 100;
  for (const k of Object.keys(destinations)) destinations[k] = Math.round((destinations[k] ?? 0) * 100) / 100;
  const retry = a.retry_policy;
  return {
    action: "route",
    destinations,
    host: a.host_rewrite_literal ?? (a.auto_host_rewrite ? "(auto)" : authority),
    ...common,
    ...(perCluster.length > 0
      ? {
          requestHeaders: [
            ...(common.requestHeaders ?? []),
            ...perCluster.sort().map((p) => `per destination ${p}`),
          ],
        }
      : {}),
    timeout: a.timeout ?? "15s",
    retries: retry
      ? [
          retry.num_retries ?? 1,
          (retry.retry_on ?? "").split(",").filter(Boolean).sort().join(","),
          retry.per_try_timeout ?? "-",
          [...(retry.retriable_status_codes ?? [])].sort((x, y) => x - y).join(","),
        ].join(" ")
      : "none",
    mirrors: (a.request_mirror_policies ?? [])
      .map(
        (m) =>
          `${destinationName(m.cluster, resolve)} ${canonicalJson(m.runtime_fraction?.default_value ?? "100%")}`,
      )
      .sort(),
  };
}

/** The fields in which two effects differ (empty: the same). */
export function differences(a: Effect, b: Effect): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof Effect>;
  return [...keys].filter((k) => canonicalJson(a[k] ?? null) !== canonicalJson(b[k] ?? null)).sort();
}

export function describeEffect(e: Effect): string {
  switch (e.action) {
    case "none":
      return "no route (404)";
    case "redirect":
      return `redirect ${e.redirect}`;
    case "direct":
      return `respond ${e.direct}`;
  }
  const dests = Object.entries(e.destinations ?? {})
    .map(([d, w]) => (w === 100 ? d : `${d} ${w}%`))
    .join(", ");
  const extras = [
    e.requestHeaders?.length ? `headers ${e.requestHeaders.join("; ")}` : "",
    e.responseHeaders?.length ? `response headers ${e.responseHeaders.join("; ")}` : "",
    e.timeout && e.timeout !== "0s" ? `timeout ${e.timeout}` : "",
    e.mirrors?.length ? `mirror ${e.mirrors.join(", ")}` : "",
  ].filter(Boolean);
  return [dests || "(no destination)", ...extras].join(", ");
}
