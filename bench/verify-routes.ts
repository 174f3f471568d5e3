// How long `verify-routes` takes beyond fetching the config dumps (target: under 5 s) for one
// namespace with 200 Services x 10 rules: the sidecar's and the waypoint's route tables are
// generated in Envoy's dump format (as istiod writes them for a VirtualService and its HTTPRoute
// translation), then read, request sets built, both tables evaluated and compared.
//
// Run:  npx node --experimental-transform-types bench/verify-routes.ts [services] [rules]

import { registerHooks } from "node:module";

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (specifier.startsWith(".") && specifier.endsWith(".js"))
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      throw err;
    }
  },
});

const { Inventory } = await import("../src/inventory/model.js");
const { verifyRoutes } = await import("../src/verify-routes/verify.js");

const services = Number(process.argv[2] ?? 200);
const rules = Number(process.argv[3] ?? 10);
const ns = "bench";
const port = 8080;
const inventory = new Inventory({ type: "files", paths: [] });
inventory.add({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name: ns, labels: { "istio.io/use-waypoint": "waypoint" } },
});
const pod = (name: string, labels: Record<string, string>, extra: object = {}) =>
  inventory.add({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels },
    status: { phase: "Running" },
    ...extra,
  });
pod("waypoint-0", { "gateway.networking.k8s.io/gateway-name": "waypoint" });
pod("client-0", { app: "client" }, { spec: { containers: [{ name: "app" }, { name: "istio-proxy" }] } });

const ROUTES = "type.googleapis.com/envoy.admin.v3.RoutesConfigDump";
const sidecarVhosts = [];
const waypointConfigs = [];
const meta = (kind: string, name: string) => ({
  filter_metadata: { istio: { config: `/apis/networking.istio.io/v1/namespaces/${ns}/${kind}/${name}` } },
});

for (let s = 0; s < services; s++) {
  const svc = `svc-${s}`;
  const fqdn = `${svc}.${ns}.svc.cluster.local`;
  inventory.add({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: svc, namespace: ns },
    spec: { selector: { app: svc }, ports: [{ name: "http", port }] },
  });
  for (const v of ["v1", "v2"]) {
    inventory.add({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `${svc}-${v}`, namespace: ns },
      spec: { selector: { app: svc, version: v }, ports: [{ name: "http", port }] },
    });
    pod(`${svc}-${v}-0`, { app: svc, version: v });
  }
  inventory.add({
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: svc, namespace: ns },
    spec: {
      host: svc,
      subsets: [
        { name: "v1", labels: { version: "v1" } },
        { name: "v2", labels: { version: "v2" } },
      ],
    },
  });
  inventory.add({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: svc, namespace: ns },
    spec: { hosts: [svc] },
  });
  inventory.add({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: svc, namespace: ns },
    spec: { parentRefs: [{ group: "", kind: "Service", name: svc, port }] },
  });
  const side = [];
  const wp = [];
  for (let r = 0; r < rules; r++) {
    const v = r % 2 === 0 ? "v1" : "v2";
    const headers = [{ name: "x-rule", string_match: { exact: `r${r}` } }];
    const kind = r % 3;
    const sidecarMatch =
      kind === 0
        ? { prefix: `/p${r}`, headers }
        : kind === 1
          ? { path: `/e${r}`, headers }
          : { safe_regex: { regex: `/r${r}/[0-9]+` }, headers };
    const waypointMatch = kind === 0 ? { path_separated_prefix: `/p${r}`, headers } : sidecarMatch;
    side.push({
      name: `r${r}`,
      match: sidecarMatch,
      route: { cluster: `outbound|${port}|${v}|${fqdn}`, timeout: "0s" },
      metadata: meta("virtual-service", svc),
    });
    wp.push({
      name: `${ns}.${svc}.${r}`,
      match: waypointMatch,
      route: { cluster: `inbound-vip|${port}|http|${svc}-${v}.${fqdn.slice(svc.length + 1)}`, timeout: "0s" },
      metadata: meta("virtual-service", `${ns}~${fqdn}`),
    });
  }
  const split = {
    weighted_clusters: {
      clusters: [
        { name: `outbound|${port}|v1|${fqdn}`, weight: 90 },
        { name: `outbound|${port}|v2|${fqdn}`, weight: 10 },
      ],
    },
    timeout: "0s",
  };
  const wsplit = {
    weighted_clusters: {
      clusters: [
        { name: `inbound-vip|${port}|http|${svc}-v1.${ns}.svc.cluster.local`, weight: 90 },
        { name: `inbound-vip|${port}|http|${svc}-v2.${ns}.svc.cluster.local`, weight: 10 },
      ],
    },
    timeout: "0s",
  };
  side.push({
    name: "default",
    match: { prefix: "/" },
    route: split,
    metadata: meta("virtual-service", svc),
  });
  wp.push({
    name: "default",
    match: { prefix: "/" },
    route: wsplit,
    metadata: meta("virtual-service", `${ns}~${fqdn}`),
  });
  sidecarVhosts.push({ name: `${fqdn}:${port}`, domains: [fqdn, svc, `${svc}.${ns}`], routes: side });
  waypointConfigs.push({
    route_config: {
      name: `inbound-vip|${port}|http|${fqdn}`,
      virtual_hosts: [{ name: `inbound|http|${port}`, domains: ["*"], routes: wp }],
    },
  });
}
const dumps: Record<string, string> = {
  "bench/client-0": JSON.stringify({
    configs: [
      {
        "@type": ROUTES,
        dynamic_route_configs: [{ route_config: { name: String(port), virtual_hosts: sidecarVhosts } }],
      },
    ],
  }),
  "bench/waypoint-0": JSON.stringify({
    configs: [{ "@type": ROUTES, static_route_configs: waypointConfigs }],
  }),
};

// Fetching is outside the measure: the reader hands over the dump text; parsing is inside.
const start = performance.now();
const report = await verifyRoutes(inventory, ns, async (p) =>
  JSON.parse(dumps[`${p.namespace}/${p.name}`] ?? "{}"),
);
const ms = performance.now() - start;
const differences = report.services.filter((s) => s.result === "different").length;
console.log(
  `verify-routes: ${services} services x ${rules} rules: ${report.requests} requests evaluated on both tables in ${(ms / 1000).toFixed(2)} s ` +
    `(target < 5 s); ${differences} services differ (expected ${services}: the prefix rules became segment prefixes)`,
);
