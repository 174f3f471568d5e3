// testbed-envoy and verify-routes against the real istiod: real `istioctl proxy-config` and
// `istioctl proxy-status` read the stand-in's admin API; verify-routes reads the same route
// tables, passes on the tool's translation of Bookinfo's samples and fails (exit 9) when a
// translated HTTPRoute is edited by hand.

import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apply,
  cli,
  createNamespace,
  deleteNamespaces,
  fixtures,
  istioctl,
  kubectl,
  kubectlJson,
  sidecarClient,
  waitForWaypoint,
} from "./harness.js";

const networking = join(fixtures, "bookinfo/networking");
const bookinfo = readFileSync(join(fixtures, "bookinfo/platform/bookinfo.yaml"), "utf8");
const destinationRules = readFileSync(join(networking, "destination-rule-all.yaml"), "utf8");
const xdsAddress = `127.0.0.1:${process.env.TESTBED_ISTIOD_GRPC_PORT ?? "15010"}`;

/** Retries until check passes (istiod pushes and the stand-in ACKs asynchronously). */
async function eventually<T>(
  what: string,
  fn: () => Promise<T>,
  ok: (t: T) => boolean,
  ms = 90_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T;
  for (;;) {
    last = await fn();
    if (ok(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function podOf(ns: string, selector: string): Promise<string> {
  await kubectl(["wait", "-n", ns, "pods", "-l", selector, "--for=condition=Ready", "--timeout=180s"]);
  const pods = await kubectlJson<{ items: { metadata: { name: string } }[] }>([
    "get",
    "pods",
    "-n",
    ns,
    "-l",
    selector,
    "-o",
    "json",
  ]);
  const name = pods.items[0]?.metadata.name;
  if (!name) throw new Error(`no pod ${selector} in ${ns}`);
  return name;
}

interface Verdict {
  name: string;
  port: number;
  result: string;
  sidecarFrom?: string;
  waypointFrom?: string;
  sidecarRoutes?: string[];
  waypointRoutes?: string[];
  requests: { request: string; differs: string[] }[];
  problems: string[];
}

async function verify(ns: string): Promise<{ code: number; services: Verdict[]; stderr: string }> {
  const r = await cli(["verify-routes", "-n", ns, "-o", "json"]);
  const services = r.stdout ? (JSON.parse(r.stdout).services as Verdict[]) : [];
  return { code: r.code, services, stderr: r.stderr };
}

// biome-ignore lint/suspicious/noExplicitAny: istioctl's JSON
type Raw = any;

describe("testbed-envoy and verify-routes on the testbed", () => {
  let ns: string;
  let clientNs: string;
  let productpage: string;
  let clientPod: string;

  beforeAll(async () => {
    ns = await createNamespace("routes", { "istio-injection": "enabled" });
    clientNs = await createNamespace("routes-client", { "istio-injection": "enabled" });
    await apply(bookinfo, ns);
    await apply(destinationRules, ns);
    await apply(sidecarClient, clientNs);
    productpage = await podOf(ns, "app=productpage");
    clientPod = await podOf(clientNs, "app=client");
  }, 300_000);
  afterAll(deleteNamespaces);

  it("istioctl proxy-config reads a sidecar's routes, clusters, listeners and endpoints from it", async () => {
    const target = `${productpage}.${ns}`;
    const routes = await eventually(
      "the sidecar's route 9080",
      async () =>
        JSON.parse((await istioctl(["proxy-config", "routes", target, "-o", "json"])).stdout) as Raw[],
      (rs) => rs.some((r) => r.name === "9080"),
    );
    const r9080 = routes.find((r) => r.name === "9080");
    // istioctl prints protojson (camelCase); the admin API's /config_dump is snake_case.
    expect(r9080.virtualHosts.map((v: Raw) => v.name)).toContain(`reviews.${ns}.svc.cluster.local:9080`);
    const clusters = (await istioctl(["proxy-config", "clusters", target])).stdout;
    expect(clusters).toContain(`reviews.${ns}.svc.cluster.local`);
    expect(clusters).toMatch(/9080\s+v1\s+outbound\s+EDS/);
    const listeners = JSON.parse(
      (await istioctl(["proxy-config", "listeners", target, "-o", "json"])).stdout,
    ) as Raw[];
    expect(listeners.map((l) => l.name)).toEqual(
      expect.arrayContaining(["virtualInbound", "virtualOutbound"]),
    );
    const endpoints = await eventually(
      "endpoints of reviews v1",
      async () =>
        (
          await istioctl([
            "proxy-config",
            "endpoints",
            target,
            "--cluster",
            `outbound|9080|v1|reviews.${ns}.svc.cluster.local`,
          ])
        ).stdout,
      (out) => /HEALTHY/.test(out),
    );
    expect(endpoints).toMatch(/:9080\s+HEALTHY/);
  });

  // This istioctl (1.31) lists each connected proxy with the xDS types it subscribed to.
  it("istioctl proxy-status sees the stand-in's connections, subscribed to CDS, LDS, EDS and RDS", async () => {
    const subscribed = (pod: string, podNs: string) =>
      new RegExp(`${pod}\\.${podNs}\\s.*istiod-local.*\\(CDS,LDS,EDS,RDS\\)`);
    const status = await eventually(
      "proxy-status to list the stand-in's proxies",
      async () =>
        (await istioctl(["proxy-status", "--xds-address", xdsAddress, "--plaintext"], { allowFail: true }))
          .stdout,
      (out) => subscribed(productpage, ns).test(out),
    );
    expect(status).toMatch(subscribed(clientPod, clientNs));
  });

  it("verify-routes agrees with istioctl on both tables, passes on the translation, and catches hand edits", async () => {
    const vs = readFileSync(join(networking, "virtual-service-reviews-test-v2.yaml"), "utf8");
    await apply(vs, ns);
    const translated = await cli(["translate", "-n", ns]);
    expect(translated.code, translated.stderr).toBe(0);
    await apply(translated.stdout, ns);
    await kubectl(["label", "namespace", ns, "istio.io/use-waypoint=waypoint", "--overwrite"]);
    await waitForWaypoint(ns);
    const waypointPod = await podOf(ns, "gateway.networking.k8s.io/gateway-name=waypoint");

    const passed = await eventually(
      "verify-routes to pass",
      () => verify(ns),
      (r) => r.code === 0,
    );
    const reviews = passed.services.find((s) => s.name === "reviews" && s.port === 9080);
    expect(reviews?.result).toBe("same");
    expect(reviews?.requests.length).toBeGreaterThan(3);
    expect(reviews?.sidecarFrom).toBe(`${clientNs}/${clientPod}`);
    expect(reviews?.waypointFrom).toBe(`${ns}/${waypointPod}`);

    // The same tables istioctl prints: the client's vhost for reviews, the waypoint's inbound-vip config.
    const fqdn = `reviews.${ns}.svc.cluster.local`;
    const side = JSON.parse(
      (await istioctl(["proxy-config", "routes", `${clientPod}.${clientNs}`, "-o", "json"])).stdout,
    ) as Raw[];
    const vhost = side
      .find((r) => r.name === "9080")
      .virtualHosts.find((v: Raw) => v.name === `${fqdn}:9080`);
    expect(reviews?.sidecarRoutes).toEqual(vhost.routes.map((r: Raw) => r.name ?? ""));
    const wp = JSON.parse(
      (await istioctl(["proxy-config", "routes", `${waypointPod}.${ns}`, "-o", "json"])).stdout,
    ) as Raw[];
    const inbound = wp.find((r) => r.name === `inbound-vip|9080|http|${fqdn}`);
    const fromHttpRoute = inbound.virtualHosts[0].routes.filter((r: Raw) =>
      r.metadata.filterMetadata.istio.config.includes("~"),
    );
    expect(reviews?.waypointRoutes).toEqual(fromHttpRoute.map((r: Raw) => r.name ?? ""));

    // Hand edits to the translated HTTPRoute: each is a difference, exit 9.
    const route = await kubectlJson<Raw>(["get", "httproute", "reviews", "-n", ns, "-o", "json"]);
    const rules = route.spec.rules as Raw[];
    const edits: [string, Raw[]][] = [
      [
        "header match dropped",
        rules.map((r, i) =>
          i === 0 ? { ...r, matches: [{ path: { type: "PathPrefix", value: "/" } }] } : r,
        ),
      ],
      // istiod sorts HTTPRoute rules by Gateway API precedence, so plain reordering changes
      // nothing; between rules of equal precedence the first wins: jason's match sent to v3 first.
      [
        "rule reordered",
        [{ ...rules[0], backendRefs: [{ ...rules[0].backendRefs[0], name: "reviews-v3" }] }, ...rules],
      ],
      [
        "weight changed",
        rules.map((r, i) =>
          i === rules.length - 1
            ? {
                ...r,
                backendRefs: [
                  { ...r.backendRefs[0], weight: 90 },
                  { ...r.backendRefs[0], name: "reviews-v2", weight: 10 },
                ],
              }
            : r,
        ),
      ],
    ];
    for (const [what, edited] of edits) {
      await kubectl([
        "patch",
        "httproute",
        "reviews",
        "-n",
        ns,
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { rules: edited } }),
      ]);
      const failed = await eventually(
        `verify-routes to fail (${what})`,
        () => verify(ns),
        (r) => r.code === 9,
      );
      const diff =
        failed.services.find((s) => s.name === "reviews")?.requests.filter((q) => q.differs.length > 0) ?? [];
      expect(diff.length, what).toBeGreaterThan(0);
    }
    await kubectl([
      "patch",
      "httproute",
      "reviews",
      "-n",
      ns,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { rules } }),
    ]);
    await eventually(
      "verify-routes to pass again",
      () => verify(ns),
      (r) => r.code === 0,
    );
  }, 600_000);

  const samples = readdirSync(networking)
    .filter((f) => f.startsWith("virtual-service-"))
    .sort();
  it.each(samples)(
    "verify-routes passes on the translation of %s",
    async (sample) => {
      await kubectl([
        "delete",
        "-n",
        ns,
        "virtualservices.networking.istio.io,httproutes.gateway.networking.k8s.io",
        "--all",
      ]);
      await apply(readFileSync(join(networking, sample), "utf8"), ns);
      const translated = await cli(["translate", "-n", ns]);
      // 0: faithful; 3: a stated loss (fault injection, which routing does not see).
      expect([0, 3], translated.stderr).toContain(translated.code);
      await apply(translated.stdout, ns);
      const routed = await eventually(
        "verify-routes to pass",
        () => verify(ns),
        (r) => r.code === 0 && r.services.length > 0,
      );
      expect(routed.services.every((s) => s.result === "same" && s.requests.length > 0)).toBe(true);
    },
    300_000,
  );
});

describe("step 5's route gate on the testbed", () => {
  const backupDir = mkdtempSync(join(tmpdir(), "am-e2e-routes-"));
  const migrate = (ns: string, ...extra: string[]) =>
    cli(["migrate", "-n", ns, "--yes", "--backup-dir", backupDir, ...extra]);
  let ns: string;

  beforeAll(async () => {
    ns = await createNamespace("routes-gate", { "istio-injection": "enabled" });
    await apply(bookinfo, ns);
    await apply(destinationRules, ns);
    await apply(readFileSync(join(networking, "virtual-service-reviews-test-v2.yaml"), "utf8"), ns);
    await podOf(ns, "app=reviews,version=v1");
  }, 300_000);
  afterAll(deleteNamespaces);

  it("records the sidecars' routes in step 1, blocks deletion when a translated route is edited, and rollback restores", async () => {
    const upTo4 = await migrate(ns, "--to-step", "4", "--timeout", "3m");
    expect(upTo4.code, upTo4.stderr).toBe(0);
    const recorded = JSON.parse(readFileSync(join(backupDir, `sidecar-routes-${ns}.json`), "utf8"));
    expect(recorded.pod).toMatch(new RegExp(`^${ns}/`));
    // The record holds the VirtualService's routes for reviews, as the sidecars had them.
    expect(JSON.stringify(recorded.routes)).toContain(`/namespaces/${ns}/virtual-service/reviews`);

    // By hand: jason's header match dropped from the translated HTTPRoute.
    const route = await kubectlJson<Raw>(["get", "httproute", "reviews", "-n", ns, "-o", "json"]);
    const rules = (route.spec.rules as Raw[]).map((r, i) =>
      i === 0 ? { ...r, matches: [{ path: { type: "PathPrefix", value: "/" } }] } : r,
    );
    await kubectl([
      "patch",
      "httproute",
      "reviews",
      "-n",
      ns,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { rules } }),
    ]);
    const blocked = await migrate(ns, "--timeout", "40s");
    expect(blocked.code, blocked.stderr).toBe(9);
    expect(blocked.stderr).toMatch(
      /routes every request .*reviews:9080: \d+ request\(s\) decided differently/s,
    );
    // Nothing was deleted: the VirtualService and the DestinationRule are still there.
    await kubectl(["get", "virtualservice", "reviews", "-n", ns]);
    await kubectl(["get", "destinationrule", "reviews", "-n", ns]);

    const back = await cli(["rollback", ns, "--yes", "--timeout", "3m", "--backup-dir", backupDir]);
    expect(back.code, back.stderr).toBe(0);
    const routes = await kubectlJson<{ items: unknown[] }>(["get", "httproutes", "-n", ns, "-o", "json"]);
    expect(routes.items).toHaveLength(0);
    await kubectl(["get", "virtualservice", "reviews", "-n", ns]);
  }, 900_000);
});
