// The request set: for every match condition on either side, requests that meet it, requests
// just past its boundary, and requests that meet a route's other conditions but break one
// (a header absent or mismatching, a query parameter missing, another method).

import {
  type HeaderMatcher,
  headerStringMatcher,
  type Request,
  type Route,
  type StringMatcher,
} from "./envoy.js";
import { witnesses } from "./regex.js";

const MISMATCH = "zz-mismatch";

/** Values that meet a string matcher, then values that do not. */
function stringSamples(m: StringMatcher | undefined): { hit: string[]; miss: string[] } {
  if (!m) return { hit: ["x"], miss: [] };
  const flip = (s: string) => (s === s.toUpperCase() ? s.toLowerCase() : s.toUpperCase());
  if (m.exact !== undefined)
    return {
      hit: [m.exact, ...(m.ignore_case ? [flip(m.exact)] : [])],
      miss: [`${m.exact}x`, flip(m.exact), ""],
    };
  if (m.prefix !== undefined)
    return { hit: [m.prefix, `${m.prefix}x`], miss: [m.prefix.slice(0, -1), MISMATCH] };
  if (m.suffix !== undefined) return { hit: [m.suffix, `x${m.suffix}`], miss: [m.suffix.slice(1), MISMATCH] };
  if (m.contains !== undefined) return { hit: [`x${m.contains}x`], miss: [MISMATCH] };
  if (m.safe_regex !== undefined) {
    const w = witnesses(m.safe_regex.regex);
    return { hit: w, miss: [...w.map((x) => `${x}~`), MISMATCH] };
  }
  return { hit: ["x"], miss: [] };
}

/** Paths that meet the route's path specifier, and the ones around its boundary. */
function pathSamples(r: Route): { hit: string[]; miss: string[] } {
  const m = r.match;
  const caseVariants = (p: string) => (m.case_sensitive === false ? [p.toUpperCase()] : []);
  const around = (p: string) => {
    const trimmed = p.endsWith("/") ? p.slice(0, -1) : p;
    return [`${p}x`, `${trimmed}/x`, `${p}/`, trimmed, p.slice(0, -1) || "/", p.toUpperCase(), `${p}?q=1`];
  };
  if (m.prefix !== undefined)
    return { hit: [m.prefix || "/", ...caseVariants(m.prefix)], miss: around(m.prefix) };
  if (m.path_separated_prefix !== undefined) {
    const p = m.path_separated_prefix;
    return { hit: [p, `${p}/x`, ...caseVariants(p)], miss: around(p) };
  }
  if (m.path !== undefined) return { hit: [m.path, ...caseVariants(m.path)], miss: around(m.path) };
  if (m.safe_regex !== undefined) {
    const w = witnesses(m.safe_regex.regex).map((x) => (x.startsWith("/") ? x : `/${x}`));
    return { hit: w, miss: w.flatMap((x) => [`${x}x`, `${x}/x`]) };
  }
  return { hit: [], miss: [] };
}

function headerSamples(h: HeaderMatcher): { hit: (string | undefined)[]; miss: (string | undefined)[] } {
  const sm = headerStringMatcher(h);
  let hit: (string | undefined)[];
  let miss: (string | undefined)[];
  if (!sm && h.present_match !== undefined) {
    hit = h.present_match ? ["x"] : [undefined];
    miss = h.present_match ? [undefined] : ["x"];
  } else if (h.range_match) {
    hit = [h.range_match.start];
    miss = [h.range_match.end, MISMATCH];
  } else {
    const s = stringSamples(sm);
    hit = s.hit;
    miss = [...s.miss, undefined];
  }
  return h.invert_match ? { hit: miss, miss: hit } : { hit, miss };
}

function withHeader(req: Request, name: string, value: string | undefined): Request {
  const n = name.toLowerCase();
  if (n === ":method") return { ...req, method: value ?? "GET" };
  if (n === ":path") return value === undefined ? req : { ...req, path: value };
  const headers = { ...req.headers };
  if (value === undefined) delete headers[n];
  else headers[n] = value;
  return { ...req, headers };
}

function withQuery(req: Request, name: string, value: string | undefined): Request {
  if (value === undefined) return req;
  return { ...req, path: `${req.path}${req.path.includes("?") ? "&" : "?"}${name}=${value}` };
}

/** A request that meets all of the route's conditions, as far as samples can. */
function satisfying(r: Route, path: string): Request {
  let req: Request = { path, method: "GET", headers: {} };
  for (const h of r.match.headers ?? []) req = withHeader(req, h.name, headerSamples(h).hit[0]);
  for (const q of r.match.query_parameters ?? [])
    req = withQuery(
      req,
      q.name,
      q.present_match === false ? undefined : stringSamples(q.string_match).hit[0],
    );
  return req;
}

export function requestKey(r: Request): string {
  const headers = Object.entries(r.headers)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  return [r.method, r.path, ...headers].join(" ");
}

/** An HTTP token (RFC 9110): what Envoy's codecs accept as a method. */
const ROUTABLE_METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Every request the routes of both tables call for, without duplicates, in a stable order. */
export function requestSet(routes: readonly Route[]): Request[] {
  const out = new Map<string, Request>();
  const add = (r: Request) => {
    // Envoy answers 400 before routing a request without a method or an origin-form path
    // (a one-character-shorter sample of "/" is ""): such requests are never routed.
    if (!ROUTABLE_METHOD.test(r.method) || !r.path.startsWith("/")) return;
    const key = requestKey(r);
    if (!out.has(key)) out.set(key, r);
  };
  add({ path: "/", method: "GET", headers: {} });
  add({ path: `/${MISMATCH}`, method: "GET", headers: {} });
  for (const r of routes) {
    const paths = pathSamples(r);
    const base = paths.hit[0] ?? "/";
    for (const p of [...paths.hit, ...paths.miss]) {
      add({ path: p, method: "GET", headers: {} });
      add(satisfying(r, p));
    }
    const full = satisfying(r, base);
    for (const h of r.match.headers ?? []) {
      const s = headerSamples(h);
      for (const v of [...s.hit, ...s.miss]) add(withHeader(full, h.name, v));
    }
    for (const q of r.match.query_parameters ?? []) {
      const { hit, miss } = stringSamples(q.string_match);
      const plain = satisfying({ ...r, match: { ...r.match, query_parameters: [] } }, base);
      add(plain);
      for (const v of [...hit, ...miss]) add(withQuery(plain, q.name, v));
    }
  }
  return [...out.values()];
}
