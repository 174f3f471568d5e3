// Request conditions of one HTTP match, in a form that both the VirtualService side and the
// HTTPRoute side can be read from: what it accepts (to reason about rule order) and how it is
// written as an HTTPRouteMatch (what Gateway API precedence ranks).

import { re2FullMatch } from "../re2.js";

/** How a path condition accepts paths. `rawPrefix` is Istio's string prefix (`/api` accepts `/apiv2`). */
export interface PathCond {
  kind: "exact" | "rawPrefix" | "segmentPrefix" | "regex";
  value: string;
  ignoreCase?: boolean;
}

export interface ValueCond {
  /** Lower-cased for headers (case-insensitive), as written for query parameters. */
  name: string;
  kind: "exact" | "regex";
  value: string;
}

export interface MatchCond {
  path: PathCond;
  method?: string;
  headers: ValueCond[];
  query: ValueCond[];
}

export interface HTTPRouteMatch {
  path: { type: "Exact" | "PathPrefix" | "RegularExpression"; value: string };
  method?: string;
  headers?: { type: "Exact" | "RegularExpression"; name: string; value: string }[];
  queryParams?: { type: "Exact" | "RegularExpression"; name: string; value: string }[];
}

export const MATCH_ALL: MatchCond = { path: { kind: "rawPrefix", value: "/" }, headers: [], query: [] };

/** Go's regexp.QuoteMeta: RE2 and JavaScript read the result the same way. */
export function quoteMeta(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}

// The path shapes Gateway API's CEL rules accept for Exact and PathPrefix.
const GATEWAY_PATH = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/;
function validGatewayPath(value: string): boolean {
  return (
    value.startsWith("/") &&
    GATEWAY_PATH.test(value) &&
    !/\/\/|\/\.\/|\/\.\.\/|%2f|%2F|#/.test(value) &&
    !value.endsWith("/..") &&
    !value.endsWith("/.")
  );
}

function isUniversal(path: PathCond): boolean {
  return (
    (path.kind === "rawPrefix" && (path.value === "/" || path.value === "")) ||
    (path.kind === "segmentPrefix" && path.value === "/")
  );
}

function emitPath(path: PathCond): HTTPRouteMatch["path"] {
  if (isUniversal(path)) return { type: "PathPrefix", value: "/" };
  const ci = path.ignoreCase && path.kind !== "regex" ? "(?i)" : "";
  switch (path.kind) {
    case "exact":
      return !ci && validGatewayPath(path.value)
        ? { type: "Exact", value: path.value }
        : { type: "RegularExpression", value: `${ci}${quoteMeta(path.value)}` };
    case "segmentPrefix":
      return validGatewayPath(path.value)
        ? { type: "PathPrefix", value: path.value }
        : { type: "RegularExpression", value: `${quoteMeta(trimSlash(path.value))}(/.*)?` };
    case "rawPrefix":
      return { type: "RegularExpression", value: `${ci}${quoteMeta(path.value)}.*` };
    case "regex":
      return { type: "RegularExpression", value: path.value };
  }
}

export function emitMatch(cond: MatchCond): HTTPRouteMatch {
  const out: HTTPRouteMatch = { path: emitPath(cond.path) };
  if (cond.method) out.method = cond.method;
  const values = (list: ValueCond[]) =>
    list.map((v) => ({
      type: v.kind === "exact" ? ("Exact" as const) : ("RegularExpression" as const),
      name: v.name,
      value: v.value,
    }));
  if (cond.headers.length > 0) out.headers = values(cond.headers);
  if (cond.query.length > 0) out.queryParams = values(cond.query);
  return out;
}

/**
 * The same path condition as a RegularExpression: Exact, PathPrefix and the catch-all each have
 * an RE2 pattern accepting the same paths (Envoy matches a regex against the path without its
 * query, as it does exact paths; a raw prefix is already written as one).
 */
export function asRegex(path: PathCond): PathCond {
  if (path.kind === "regex") return path;
  if (isUniversal(path)) return { kind: "regex", value: ".*" };
  const emitted = emitPath(path);
  const value =
    emitted.type === "RegularExpression"
      ? emitted.value
      : emitted.type === "Exact"
        ? quoteMeta(emitted.value)
        : `${path.ignoreCase ? "(?i)" : ""}${quoteMeta(trimSlash(emitted.value))}(/.*)?`;
  return { kind: "regex", value };
}

/** An empty non-capturing group: RE2 reads `p(?:)` as `p`; it only makes the pattern longer. */
const EMPTY_GROUP = "(?:)";

/** The pattern made at least `length` characters long without changing what it accepts. */
export function lengthenRegex(pattern: string, length: number): string {
  const missing = length - pattern.length;
  return missing > 0 ? pattern + EMPTY_GROUP.repeat(Math.ceil(missing / EMPTY_GROUP.length)) : pattern;
}

/**
 * Gateway API precedence of a match, highest first when compared: path type (Exact,
 * PathPrefix, then RegularExpression, whose rank the spec leaves to implementations: this is
 * istiod's, pilot/pkg/config/kube/gateway/conversion.go sortHTTPRoutes), path length (istiod
 * trims a PathPrefix's trailing '/'), method, number of headers, number of query params.
 */
export function precedenceKey(match: HTTPRouteMatch): number[] {
  const { type, value } = match.path;
  const rank = type === "Exact" ? 3 : type === "PathPrefix" ? 2 : 1;
  const length = type === "PathPrefix" && value !== "/" ? trimSlash(value).length : value.length;
  return [rank, length, match.method ? 1 : 0, match.headers?.length ?? 0, match.queryParams?.length ?? 0];
}

/** >0 when a ranks before b, <0 after, 0 on a tie (then list order decides). */
export function comparePrecedence(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function trimSlash(value: string): string {
  return value.length > 1 ? value.replace(/\/+$/, "") : value;
}

/** A whole-string test of an RE2 pattern (linear, as Envoy's); undefined when RE2 rejects it. */
function regexAccepts(pattern: string, text: string): boolean | undefined {
  return re2FullMatch(pattern, text);
}

/** Whether a path condition accepts this request path; undefined when it cannot tell. */
export function pathAccepts(path: PathCond, p: string): boolean | undefined {
  const fold = (s: string) => (path.ignoreCase && path.kind !== "regex" ? s.toLowerCase() : s);
  const v = fold(path.value);
  const q = fold(p);
  switch (path.kind) {
    case "exact":
      return q === v;
    case "rawPrefix":
      return q.startsWith(v);
    case "segmentPrefix": {
      const s = trimSlash(v);
      return s === "/" || q === s || q.startsWith(`${s}/`);
    }
    case "regex":
      return regexAccepts(path.value, p);
  }
}

function pathSubsumes(a: PathCond, b: PathCond): boolean {
  if (isUniversal(a)) return true;
  if (b.ignoreCase && !a.ignoreCase && b.kind !== "regex") return false;
  const fold = (s: string) => (a.ignoreCase ? s.toLowerCase() : s);
  const av = fold(a.value);
  const bv = fold(b.value);
  switch (a.kind) {
    case "exact":
      return b.kind === "exact" && av === bv;
    case "rawPrefix":
      return (
        (b.kind === "exact" || b.kind === "rawPrefix" || b.kind === "segmentPrefix") &&
        fold(b.kind === "segmentPrefix" ? trimSlash(b.value) : b.value).startsWith(av)
      );
    case "segmentPrefix":
      if (b.kind === "exact") return pathAccepts(a, b.value) === true;
      if (b.kind === "segmentPrefix") return pathAccepts(a, trimSlash(b.value)) === true;
      return false;
    case "regex":
      if (b.kind === "exact" && !b.ignoreCase) return regexAccepts(a.value, b.value) === true;
      return b.kind === "regex" && a.value === b.value;
  }
}

/** False only when no path can satisfy both. */
function pathOverlaps(a: PathCond, b: PathCond): boolean {
  if (a.kind === "exact") return pathAccepts(b, a.value) !== false;
  if (b.kind === "exact") return pathAccepts(a, b.value) !== false;
  if (a.kind === "regex" || b.kind === "regex") return true;
  const fold = (s: string) => (a.ignoreCase || b.ignoreCase ? s.toLowerCase() : s);
  const prefixOf = (x: PathCond) => fold(x.kind === "segmentPrefix" ? trimSlash(x.value) : x.value);
  const [av, bv] = [prefixOf(a), prefixOf(b)];
  if (av === "/" && a.kind === "segmentPrefix") return true;
  if (bv === "/" && b.kind === "segmentPrefix") return true;
  if (a.kind === "rawPrefix" && b.kind === "rawPrefix") return av.startsWith(bv) || bv.startsWith(av);
  const segmentMeetsRaw = (seg: string, raw: string) =>
    seg.startsWith(raw) || raw === seg || raw.startsWith(`${seg}/`);
  if (a.kind === "segmentPrefix" && b.kind === "segmentPrefix") {
    return segmentMeetsRaw(av, bv) || segmentMeetsRaw(bv, av);
  }
  return a.kind === "segmentPrefix" ? segmentMeetsRaw(av, bv) : segmentMeetsRaw(bv, av);
}

function valueSubsumes(a: ValueCond, b: ValueCond): boolean {
  if (a.name !== b.name) return false;
  if (a.kind === b.kind && a.value === b.value) return true;
  return a.kind === "regex" && b.kind === "exact" && regexAccepts(a.value, b.value) === true;
}

function valuesOverlap(as: ValueCond[], bs: ValueCond[]): boolean {
  for (const a of as) {
    for (const b of bs) {
      if (a.name !== b.name) continue;
      if (a.kind === "exact" && b.kind === "exact" && a.value !== b.value) return false;
      if (a.kind === "exact" && b.kind === "regex" && regexAccepts(b.value, a.value) === false) return false;
      if (a.kind === "regex" && b.kind === "exact" && regexAccepts(a.value, b.value) === false) return false;
    }
  }
  return true;
}

/** Every request `b` accepts, `a` accepts too. */
export function subsumes(a: MatchCond, b: MatchCond): boolean {
  return (
    pathSubsumes(a.path, b.path) &&
    (a.method === undefined || a.method === b.method) &&
    a.headers.every((h) => b.headers.some((g) => valueSubsumes(h, g))) &&
    a.query.every((h) => b.query.some((g) => valueSubsumes(h, g)))
  );
}

/** False only when no request can satisfy both. */
export function overlaps(a: MatchCond, b: MatchCond): boolean {
  return (
    pathOverlaps(a.path, b.path) &&
    (a.method === undefined || b.method === undefined || a.method === b.method) &&
    valuesOverlap(a.headers, b.headers) &&
    valuesOverlap(a.query, b.query)
  );
}

function intersectValues(as: ValueCond[], bs: ValueCond[]): ValueCond[] | undefined {
  const out = [...as];
  for (const b of bs) {
    const i = out.findIndex((a) => a.name === b.name);
    const a = out[i];
    if (!a) out.push(b);
    else if (valueSubsumes(b, a)) continue;
    else if (valueSubsumes(a, b)) out[i] = b;
    else return undefined;
  }
  return out;
}

/** A single match accepting exactly the requests both accept, when one can express it. */
export function intersect(a: MatchCond, b: MatchCond): MatchCond | undefined {
  const path = pathSubsumes(a.path, b.path) ? b.path : pathSubsumes(b.path, a.path) ? a.path : undefined;
  if (!path) return undefined;
  if (a.method && b.method && a.method !== b.method) return undefined;
  const headers = intersectValues(a.headers, b.headers);
  const query = intersectValues(a.query, b.query);
  if (!headers || !query) return undefined;
  const method = a.method ?? b.method;
  return { path, ...(method ? { method } : {}), headers, query };
}
