// Two small reference matchers, written from the specs and independent of src/translate:
//  - which destination an Istio VirtualService picks for a request (http rules tried in
//    order, first match wins; istio/api networking/v1alpha3/virtual_service.proto);
//  - which backends Gateway API HTTPRoutes pick (all rules of all routes ranked by the
//    precedence in sigs.k8s.io/gateway-api apis/v1/httproute_types.go, then route age and
//    name, then rule order). RegularExpression precedence is implementation-specific; this
//    follows istiod (pilot/pkg/config/kube/gateway/conversion.go sortHTTPRoutes): after
//    PathPrefix, longer pattern first.

export interface Request {
  path: string;
  method: string;
  /** Lower-case names. */
  headers: Record<string, string>;
}

/** Sorted "backend=weight" pairs, or "404" when nothing matches. */
export type Outcome = string[] | "404";

// biome-ignore lint/suspicious/noExplicitAny: raw objects
type Raw = any;

function fullMatch(pattern: string, text: string): boolean {
  const ci = pattern.startsWith("(?i)");
  return new RegExp(`^(?:${ci ? pattern.slice(4) : pattern})$`, ci ? "i" : "").test(text);
}

/** Envoy matches exact paths and regexes on the path without its query; a prefix on all of :path. */
function withoutQuery(path: string): string {
  const q = path.search(/[?#]/);
  return q < 0 ? path : path.slice(0, q);
}

function uriMatch(m: Raw, path: string, ignoreCase: boolean): boolean {
  return stringMatch(m, m.prefix !== undefined ? path : withoutQuery(path), ignoreCase);
}

function stringMatch(m: Raw, value: string | undefined, ignoreCase = false): boolean {
  if (value === undefined) return false;
  const fold = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  if (m.exact !== undefined) return fold(value) === fold(m.exact);
  if (m.prefix !== undefined) return fold(value).startsWith(fold(m.prefix));
  if (m.regex !== undefined) return fullMatch(m.regex, value);
  return true; // an empty StringMatch: presence
}

function vsMatch(match: Raw, req: Request): boolean {
  if (
    match.uri &&
    !uriMatch(match.uri, req.path, match.ignoreUriCase === true && match.uri.regex === undefined)
  )
    return false;
  if (match.method && !stringMatch(match.method, req.method)) return false;
  for (const [name, m] of Object.entries(match.headers ?? {})) {
    if (!stringMatch(m, req.headers[name.toLowerCase()])) return false;
  }
  return true;
}

export function virtualServicePick(
  vs: Raw,
  req: Request,
  subsetService: (host: string, subset: string) => string,
): Outcome {
  for (const rule of vs.spec.http ?? []) {
    const matches: Raw[] = rule.match ?? [];
    if (matches.length > 0 && !matches.some((m) => vsMatch(m, req))) continue;
    const route: Raw[] = rule.route ?? [];
    return route
      .map((d) => {
        const name = d.destination.subset
          ? subsetService(d.destination.host, d.destination.subset)
          : d.destination.host;
        return `${name}=${route.length === 1 ? 100 : (d.weight ?? 0)}`;
      })
      .sort();
  }
  return "404";
}

function pathMatches(path: Raw, fullPath: string): boolean {
  const reqPath = withoutQuery(fullPath);
  const type = path?.type ?? "PathPrefix";
  const value: string = path?.value ?? "/";
  if (type === "Exact") return reqPath === value;
  if (type === "RegularExpression") return fullMatch(value, reqPath);
  const prefix = value.length > 1 ? value.replace(/\/$/, "") : value;
  return prefix === "/" || reqPath === prefix || reqPath.startsWith(`${prefix}/`);
}

function routeMatch(match: Raw, req: Request): boolean {
  if (!pathMatches(match.path, req.path)) return false;
  if (match.method && match.method !== req.method) return false;
  for (const h of match.headers ?? []) {
    const value = req.headers[String(h.name).toLowerCase()];
    if (value === undefined) return false;
    if ((h.type ?? "Exact") === "Exact" ? value !== h.value : !fullMatch(h.value, value)) return false;
  }
  return true;
}

function precedence(match: Raw): number[] {
  const type = match.path?.type ?? "PathPrefix";
  const value: string = match.path?.value ?? "/";
  const rank = type === "Exact" ? 3 : type === "PathPrefix" ? 2 : 1;
  const length = type === "PathPrefix" && value.length > 1 ? value.replace(/\/$/, "").length : value.length;
  return [rank, length, match.method ? 1 : 0, (match.headers ?? []).length, (match.queryParams ?? []).length];
}

export function httpRoutesPick(routes: Raw[], req: Request): Outcome {
  // Same creation time: routes rank by "namespace/name".
  const ordered = [...routes].sort((a, b) => {
    const ka = `${a.metadata.namespace}/${a.metadata.name}`;
    const kb = `${b.metadata.namespace}/${b.metadata.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  let best: { key: number[]; rule: Raw } | undefined;
  for (const route of ordered) {
    for (const rule of route.spec.rules ?? []) {
      const matches: Raw[] = rule.matches ?? [{ path: { type: "PathPrefix", value: "/" } }];
      for (const match of matches) {
        if (!routeMatch(match, req)) continue;
        const key = precedence(match);
        if (!best || compare(key, best.key) > 0) best = { key, rule };
      }
    }
  }
  if (!best) return "404";
  return (best.rule.backendRefs ?? []).map((b: Raw) => `${b.name}=${b.weight ?? 1}`).sort();
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}
