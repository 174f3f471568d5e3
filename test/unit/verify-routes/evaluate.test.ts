import { describe, expect, it } from "vitest";
import { compareTables } from "../../../src/verify-routes/compare.js";
import { clusterTarget, type DestinationResolver, rewrittenPath } from "../../../src/verify-routes/effect.js";
import {
  findVirtualHost,
  firstMatch,
  headerMatches,
  pathMatches,
  type Request,
  type Route,
} from "../../../src/verify-routes/envoy.js";
import { fullMatch, witnesses } from "../../../src/verify-routes/regex.js";
import { requestSet } from "../../../src/verify-routes/requests.js";

const req = (path: string, headers: Record<string, string> = {}, method = "GET"): Request => ({
  path,
  method,
  headers,
});

describe("Envoy route matching", () => {
  it("prefix is a string prefix, path_separated_prefix stops at a segment, both ignore the query", () => {
    expect(pathMatches({ prefix: "/api" }, req("/apix"))).toBe(true);
    expect(pathMatches({ path_separated_prefix: "/api" }, req("/apix"))).toBe(false);
    expect(pathMatches({ path_separated_prefix: "/api" }, req("/api/v1"))).toBe(true);
    expect(pathMatches({ path_separated_prefix: "/api" }, req("/api?x=1"))).toBe(true);
    expect(pathMatches({ path: "/a" }, req("/a?b=c"))).toBe(true);
    expect(pathMatches({ path: "/a", case_sensitive: false }, req("/A"))).toBe(true);
    expect(pathMatches({ safe_regex: { regex: "/u[0-9]+" } }, req("/u12"))).toBe(true);
    expect(pathMatches({ safe_regex: { regex: "/u[0-9]+" } }, req("/u12/x"))).toBe(false);
  });

  it("a missing header fails value matchers even inverted, unless treated as empty", () => {
    expect(headerMatches({ name: "end-user", string_match: { exact: "jason" } }, req("/"))).toBe(false);
    expect(
      headerMatches({ name: "end-user", string_match: { exact: "jason" }, invert_match: true }, req("/")),
    ).toBe(false);
    expect(
      headerMatches(
        {
          name: "end-user",
          string_match: { exact: "jason" },
          invert_match: true,
          treat_missing_header_as_empty: true,
        },
        req("/"),
      ),
    ).toBe(true);
    expect(headerMatches({ name: "x", present_match: true, invert_match: true }, req("/"))).toBe(true);
    expect(headerMatches({ name: "x", present_match: true }, req("/", { x: "" }))).toBe(true);
    expect(headerMatches({ name: ":method", string_match: { exact: "POST" } }, req("/", {}, "POST"))).toBe(
      true,
    );
  });

  it("first match wins; no match is a 404 (-1)", () => {
    const routes: Route[] = [
      {
        match: { prefix: "/a", headers: [{ name: "x", string_match: { exact: "1" } }] },
        route: { cluster: "c1" },
      },
      { match: { prefix: "/a" }, route: { cluster: "c2" } },
    ];
    expect(firstMatch(routes, req("/a", { x: "1" }))).toBe(0);
    expect(firstMatch(routes, req("/a"))).toBe(1);
    expect(firstMatch(routes, req("/b"))).toBe(-1);
  });

  it("virtual hosts: exact, then suffix wildcard, then prefix wildcard, then *; port ignored on request", () => {
    const config = {
      name: "80",
      ignore_port_in_host_matching: true,
      virtual_hosts: [
        { name: "all", domains: ["*"] },
        { name: "suffix", domains: ["*.example.com"] },
        { name: "exact", domains: ["a.example.com"] },
        { name: "prefix", domains: ["a.*"] },
      ],
    };
    expect(findVirtualHost(config, "a.example.com:80")?.name).toBe("exact");
    expect(findVirtualHost(config, "b.example.com")?.name).toBe("suffix");
    expect(findVirtualHost(config, "a.other")?.name).toBe("prefix");
    expect(findVirtualHost(config, "z")?.name).toBe("all");
  });
});

describe("regex witnesses", () => {
  it.each(["/u[0-9]+", "/(api|v1)/.*", "/items/[^/]+/detail", "(?i)/Foo\\.bar", "/x{2,3}y?", "/\\d+-\\w*"])(
    "%s gets a witness it matches",
    (pattern) => {
      const w = witnesses(pattern);
      expect(w.length).toBeGreaterThan(0);
      for (const s of w) expect(fullMatch(pattern, s)).toBe(true);
    },
  );
});

const resolve: DestinationResolver = (t) => {
  // As the inventory resolver would: subset v1 of reviews and Service reviews-v1 select the same pods.
  const subsetService = /^(.*)-(v\d)$/.exec(t.host.split(".")[0] ?? "");
  const [svc, subset] = subsetService
    ? [subsetService[1], subsetService[2]]
    : [t.host.split(".")[0], t.subset];
  return `pods ${svc}${subset ? `/${subset}` : ""}`;
};

// What istiod makes of a VirtualService (sidecar) and of its translation (waypoint).
const sidecar: Route[] = [
  {
    name: "jason",
    match: { prefix: "/", headers: [{ name: "end-user", string_match: { exact: "jason" } }] },
    route: { cluster: "outbound|9080|v2|reviews.bookinfo.svc.cluster.local", timeout: "0s" },
  },
  {
    name: "split",
    match: { prefix: "/" },
    route: {
      weighted_clusters: {
        clusters: [
          { name: "outbound|9080|v1|reviews.bookinfo.svc.cluster.local", weight: 80 },
          { name: "outbound|9080|v3|reviews.bookinfo.svc.cluster.local", weight: 20 },
        ],
      },
      timeout: "0s",
    },
  },
];
const waypoint: Route[] = [
  {
    name: "bookinfo.reviews.0",
    match: { prefix: "/", headers: [{ name: "end-user", string_match: { exact: "jason" } }] },
    route: { cluster: "inbound-vip|9080|http|reviews-v2.bookinfo.svc.cluster.local", timeout: "0s" },
  },
  {
    name: "bookinfo.reviews.1",
    match: { prefix: "/" },
    route: {
      weighted_clusters: {
        clusters: [
          { name: "inbound-vip|9080|http|reviews-v1.bookinfo.svc.cluster.local", weight: 4 },
          { name: "inbound-vip|9080|http|reviews-v3.bookinfo.svc.cluster.local", weight: 1 },
        ],
      },
      timeout: "0s",
    },
  },
];
const authority = "reviews.bookinfo.svc.cluster.local:9080";
const differing = (s: Route[], w: Route[]) =>
  compareTables(s, w, authority, resolve).filter((r) => r.differs.length > 0);

describe("compareTables", () => {
  it("parses sidecar and waypoint cluster names to the same target shape", () => {
    expect(clusterTarget("outbound|9080|v1|reviews.bookinfo.svc.cluster.local")).toEqual({
      host: "reviews.bookinfo.svc.cluster.local",
      port: 9080,
      subset: "v1",
    });
    expect(clusterTarget("inbound-vip|9080|http/v1|reviews.bookinfo.svc.cluster.local")?.subset).toBe("v1");
    expect(clusterTarget("PassthroughCluster")).toBeUndefined();
  });

  it("a faithful translation decides every request the same (weights compared as shares)", () => {
    const outcomes = compareTables(sidecar, waypoint, authority, resolve);
    expect(outcomes.length).toBeGreaterThan(5);
    expect(outcomes.filter((o) => o.differs.length > 0)).toEqual([]);
  });

  it("a dropped header match, a changed weight and a reordering are each caught", () => {
    const dropped = structuredClone(waypoint);
    delete dropped[0]?.match.headers;
    expect(differing(sidecar, dropped).map((o) => o.request)).toContain("GET /");

    const weight = structuredClone(waypoint);
    const c = weight[1]?.route?.weighted_clusters?.clusters[0];
    if (c) c.weight = 1;
    expect(differing(sidecar, weight)[0]?.differs).toEqual(["destinations"]);

    const reordered = [waypoint[1], waypoint[0]] as Route[];
    expect(differing(sidecar, reordered).map((o) => o.request)).toContain("GET / end-user=jason");
  });

  it("a rewrite is compared by the path it produces", () => {
    const s: Route[] = [
      {
        match: { prefix: "/old" },
        route: { cluster: "outbound|80||a.ns.svc.cluster.local", prefix_rewrite: "/new" },
      },
    ];
    const w: Route[] = [
      {
        match: { path_separated_prefix: "/old" },
        route: { cluster: "inbound-vip|80|http|a.ns.svc.cluster.local", prefix_rewrite: "/new" },
      },
    ];
    const diffs = differing(s, w);
    // /oldx: the VirtualService prefix matches, the HTTPRoute's segment prefix does not.
    expect(diffs.map((d) => d.request)).toContain("GET /oldx");
    expect(diffs.map((d) => d.request)).not.toContain("GET /old/x");
  });

  it("regex_rewrite substitutes RE2 groups (\\N), as istiod writes a Gateway API ReplacePrefixMatch /", () => {
    const route: Route = {
      match: { path_separated_prefix: "/old" },
      route: { cluster: "c", regex_rewrite: { pattern: { regex: "^/old(/?)(.*)" }, substitution: "/\\2" } },
    };
    expect(rewrittenPath(route, "/old/abc?x=1")).toBe("/abc?x=1");
    expect(rewrittenPath(route, "/old")).toBe("/");
  });

  it("requests cover header absence and mismatch", () => {
    const keys = requestSet(sidecar).map((r) => JSON.stringify(r.headers));
    expect(keys).toContain('{"end-user":"jason"}');
    expect(keys).toContain("{}");
    expect(keys).toContain('{"end-user":"jasonx"}');
  });

  it('requests are ones Envoy routes: a method and a path starting with / (never the "" one shorter than /)', () => {
    const routes: Route[] = [
      { match: { prefix: "/" }, route: { cluster: "a" } },
      { match: { path: "/a" }, route: { cluster: "b" } },
      { match: { prefix: "/" }, route: { cluster: "c" } },
    ];
    const requests = requestSet([...routes, ...sidecar]);
    expect(requests.length).toBeGreaterThan(5);
    for (const r of requests) {
      expect(r.path.startsWith("/"), JSON.stringify(r)).toBe(true);
      expect(r.method, JSON.stringify(r)).toMatch(/^[A-Za-z-]+$/);
    }
  });
});
