// Reading route tables out of Envoy's /config_dump: the sidecar's RDS configs (the vhost a client
// uses for <fqdn>:<port>) and the waypoint's listener-inline inbound-vip configs, which Envoy
// dumps as static route configs (envoy-config.md sections 3 and 6).

import type { Route, RouteConfiguration } from "./envoy.js";
import { findVirtualHost } from "./envoy.js";

const ROUTES_DUMP = "type.googleapis.com/envoy.admin.v3.RoutesConfigDump";

interface RoutesDump {
  "@type": string;
  static_route_configs?: { route_config: RouteConfiguration }[];
  dynamic_route_configs?: { route_config: RouteConfiguration }[];
}

export interface RouteConfigs {
  dynamic: RouteConfiguration[];
  static: RouteConfiguration[];
}

/** The route configurations of a config dump, as `istioctl proxy-config routes` lists them. */
export function routeConfigs(dump: unknown): RouteConfigs {
  const configs = ((dump as { configs?: RoutesDump[] })?.configs ?? []).filter(
    (c) => c["@type"] === ROUTES_DUMP,
  );
  return {
    dynamic: configs.flatMap((c) => (c.dynamic_route_configs ?? []).map((d) => d.route_config)),
    static: configs.flatMap((c) => (c.static_route_configs ?? []).map((d) => d.route_config)),
  };
}

/** Where a route came from: a user VirtualService, an HTTPRoute istiod converted, or istiod's default. */
export type RouteSource =
  | { kind: "virtual-service" | "http-route"; namespace: string; name: string }
  | { kind: "default" };

/**
 * Route metadata istio.config is /apis/<group>/<version>/namespaces/<ns>/<kebab-kind>/<name>
 * (networking/util AddConfigInfoMetadata). Converted HTTPRoutes are VirtualServices named
 * `<ns>~<host>` (a "~" no user object can carry; route_collections.go).
 */
export function routeSource(route: Route): RouteSource {
  const path = route.metadata?.filter_metadata?.istio?.config;
  const m = path ? /\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path) : null;
  if (!m) return { kind: "default" };
  const [, namespace = "", kind = "", name = ""] = m;
  const converted = kind === "http-route" || name.includes("~");
  return { kind: converted ? "http-route" : "virtual-service", namespace, name };
}

export interface Table {
  /** The route configuration and virtual host the table was read from. */
  config: string;
  vhost: string;
  routes: Route[];
}

/**
 * The routes a sidecar client applies to <fqdn>:<port>: the vhost of its outbound RDS config for
 * that port (named "<port>", or "<fqdn>:<port>" for ports istiod sniffs).
 */
export function sidecarTable(configs: RouteConfigs, fqdn: string, port: number): Table | undefined {
  const candidates = configs.dynamic.filter((c) => c.name === String(port) || c.name === `${fqdn}:${port}`);
  for (const c of candidates) {
    const v =
      c.name === String(port)
        ? (c.virtual_hosts ?? []).find((vh) => vh.domains.some((d) => d.toLowerCase() === fqdn.toLowerCase()))
        : findVirtualHost(c, `${fqdn}:${port}`);
    if (v) return { config: c.name, vhost: v.name, routes: v.routes ?? [] };
  }
  return undefined;
}

const waypointConfigName = (fqdn: string, port: number) => `inbound-vip|${port}|http|${fqdn}`;

/** The waypoint's inline route config for the service port (one vhost, domains "*"). */
export function waypointTable(configs: RouteConfigs, fqdn: string, port: number): Table | undefined {
  const name = waypointConfigName(fqdn, port);
  const c = [...configs.static, ...configs.dynamic].find((x) => x.name === name);
  const v = c?.virtual_hosts?.[0];
  return c && v ? { config: c.name, vhost: v.name, routes: v.routes ?? [] } : undefined;
}
