// Envoy's route configuration as /config_dump prints it (proto field names), and Envoy's own
// route selection on it: virtual host by authority, then the first route whose match holds
// (api/envoy/config/route/v3/route_components.proto; source/common/router/config_impl.cc;
// source/common/http/header_utility.cc matchHeaders).

import { fullMatch } from "./regex.js";

export interface StringMatcher {
  exact?: string;
  prefix?: string;
  suffix?: string;
  contains?: string;
  safe_regex?: { regex: string };
  ignore_case?: boolean;
}

export interface HeaderMatcher {
  name: string;
  string_match?: StringMatcher;
  exact_match?: string;
  prefix_match?: string;
  suffix_match?: string;
  contains_match?: string;
  safe_regex_match?: { regex: string };
  present_match?: boolean;
  range_match?: { start: string; end: string };
  invert_match?: boolean;
  treat_missing_header_as_empty?: boolean;
}

interface QueryParameterMatcher {
  name: string;
  string_match?: StringMatcher;
  present_match?: boolean;
}

export interface RouteMatch {
  prefix?: string;
  path?: string;
  safe_regex?: { regex: string };
  path_separated_prefix?: string;
  connect_matcher?: object;
  case_sensitive?: boolean;
  headers?: HeaderMatcher[];
  query_parameters?: QueryParameterMatcher[];
}

export interface HeaderValueOption {
  header: { key: string; value?: string };
  append_action?: string;
  append?: boolean;
}

interface WeightedCluster {
  name: string;
  weight?: number;
  request_headers_to_add?: HeaderValueOption[];
  request_headers_to_remove?: string[];
  response_headers_to_add?: HeaderValueOption[];
  response_headers_to_remove?: string[];
}

export interface RouteAction {
  cluster?: string;
  weighted_clusters?: { clusters: WeightedCluster[] };
  cluster_header?: string;
  prefix_rewrite?: string;
  regex_rewrite?: { pattern: { regex: string }; substitution: string };
  host_rewrite_literal?: string;
  auto_host_rewrite?: boolean;
  timeout?: string;
  retry_policy?: {
    retry_on?: string;
    num_retries?: number;
    per_try_timeout?: string;
    retriable_status_codes?: number[];
  };
  request_mirror_policies?: { cluster: string; runtime_fraction?: { default_value?: object } }[];
}

export interface Route {
  name?: string;
  match: RouteMatch;
  route?: RouteAction;
  redirect?: Record<string, unknown>;
  direct_response?: { status: number; body?: { inline_string?: string } };
  request_headers_to_add?: HeaderValueOption[];
  request_headers_to_remove?: string[];
  response_headers_to_add?: HeaderValueOption[];
  response_headers_to_remove?: string[];
  metadata?: { filter_metadata?: { istio?: { config?: string } } };
}

export interface VirtualHost {
  name: string;
  domains: string[];
  routes?: Route[];
}

export interface RouteConfiguration {
  name: string;
  virtual_hosts?: VirtualHost[];
  ignore_port_in_host_matching?: boolean;
}

/** A request as the router sees it: :path with its query, :method, lower-case header names. */
export interface Request {
  path: string;
  method: string;
  headers: Record<string, string>;
}

function pathOnly(path: string): string {
  const q = path.search(/[?#]/);
  return q < 0 ? path : path.slice(0, q);
}

function stringMatches(m: StringMatcher, value: string): boolean {
  const fold = (s: string) => (m.ignore_case ? s.toLowerCase() : s);
  if (m.exact !== undefined) return fold(value) === fold(m.exact);
  if (m.prefix !== undefined) return fold(value).startsWith(fold(m.prefix));
  if (m.suffix !== undefined) return fold(value).endsWith(fold(m.suffix));
  if (m.contains !== undefined) return fold(value).includes(fold(m.contains));
  if (m.safe_regex !== undefined) return fullMatch(m.safe_regex.regex, value);
  return false;
}

/** The deprecated *_match forms, as the string_match they mean. */
export function headerStringMatcher(h: HeaderMatcher): StringMatcher | undefined {
  if (h.string_match) return h.string_match;
  if (h.exact_match !== undefined) return { exact: h.exact_match };
  if (h.prefix_match !== undefined) return { prefix: h.prefix_match };
  if (h.suffix_match !== undefined) return { suffix: h.suffix_match };
  if (h.contains_match !== undefined) return { contains: h.contains_match };
  if (h.safe_regex_match !== undefined) return { safe_regex: h.safe_regex_match };
  return undefined;
}

function headerValue(req: Request, name: string): string | undefined {
  const n = name.toLowerCase();
  if (n === ":path") return req.path;
  if (n === ":method") return req.method;
  return req.headers[n];
}

/** Envoy's HeaderUtility::matchHeaders for one matcher. */
export function headerMatches(h: HeaderMatcher, req: Request): boolean {
  let value = headerValue(req, h.name);
  const present = h.present_match !== undefined && headerStringMatcher(h) === undefined;
  if (value === undefined) {
    if (!h.treat_missing_header_as_empty) {
      // A missing header fails every value matcher, inverted or not; only presence can hold.
      return h.invert_match ? present && h.present_match === true : present && h.present_match === false;
    }
    value = "";
  }
  let match: boolean;
  if (present) match = h.present_match === true;
  else if (h.range_match) {
    const n = Number(value);
    match = /^-?\d+$/.test(value) && n >= Number(h.range_match.start) && n < Number(h.range_match.end);
  } else {
    const sm = headerStringMatcher(h);
    match = sm ? stringMatches(sm, value) : true;
  }
  return match !== (h.invert_match === true);
}

function queryValue(path: string, name: string): string | undefined {
  const q = path.indexOf("?");
  if (q < 0) return undefined;
  for (const pair of path.slice(q + 1).split("&")) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (key === name) return eq < 0 ? "" : pair.slice(eq + 1);
  }
  return undefined;
}

function queryMatches(m: QueryParameterMatcher, req: Request): boolean {
  const value = queryValue(req.path, m.name);
  if (value === undefined) return false;
  if (m.present_match !== undefined) return m.present_match;
  return m.string_match ? stringMatches(m.string_match, value) : true;
}

export function pathMatches(m: RouteMatch, req: Request): boolean {
  const path = pathOnly(req.path);
  const sensitive = m.case_sensitive !== false;
  const fold = (s: string) => (sensitive ? s : s.toLowerCase());
  if (m.prefix !== undefined) return fold(path).startsWith(fold(m.prefix));
  if (m.path !== undefined) return fold(path) === fold(m.path);
  if (m.safe_regex !== undefined) return fullMatch(m.safe_regex.regex, path);
  if (m.path_separated_prefix !== undefined) {
    const p = fold(m.path_separated_prefix);
    const f = fold(path);
    return f === p || f.startsWith(`${p}/`);
  }
  return false; // connect_matcher and path_match_policy: never an ordinary request
}

function routeMatches(route: Route, req: Request): boolean {
  return (
    pathMatches(route.match, req) &&
    (route.match.headers ?? []).every((h) => headerMatches(h, req)) &&
    (route.match.query_parameters ?? []).every((q) => queryMatches(q, req))
  );
}

/** The index of the first route that matches, or -1 (Envoy answers 404). */
export function firstMatch(routes: readonly Route[], req: Request): number {
  return routes.findIndex((r) => routeMatches(r, req));
}

/**
 * Envoy's virtual host selection: exact domain, then the longest suffix wildcard ("*.foo"), then
 * the longest prefix wildcard ("foo.*"), then "*"; the port is ignored when the config says so.
 */
export function findVirtualHost(config: RouteConfiguration, authority: string): VirtualHost | undefined {
  let host = authority.toLowerCase();
  if (config.ignore_port_in_host_matching) host = host.replace(/:\d+$/, "");
  const vhosts = config.virtual_hosts ?? [];
  const exact = vhosts.find((v) => v.domains.some((d) => d.toLowerCase() === host));
  if (exact) return exact;
  let best: { v: VirtualHost; len: number; kind: number } | undefined;
  for (const v of vhosts) {
    for (const d of v.domains.map((x) => x.toLowerCase())) {
      let kind = 0;
      if (d.startsWith("*") && d !== "*" && host.length > d.length - 1 && host.endsWith(d.slice(1))) kind = 2;
      else if (d.endsWith("*") && d !== "*" && host.length > d.length - 1 && host.startsWith(d.slice(0, -1)))
        kind = 1;
      if (kind > 0 && (!best || kind > best.kind || (kind === best.kind && d.length > best.len)))
        best = { v, len: d.length, kind };
    }
  }
  return best?.v ?? vhosts.find((v) => v.domains.includes("*"));
}
