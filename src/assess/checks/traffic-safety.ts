// Traffic across namespaces: what moving one namespace does to its neighbours' traffic. Ingress
// gateways and sidecar clients skip waypoints (istio/istio#51214, #51445), NetworkPolicies can
// shut HBONE out, sidecars cannot tunnel to headless Services of ambient pods (#54921), a
// port-level PERMISSIVE under STRICT was mis-enforced (#53884), ztunnel ignores exportTo (#55163).

import { K } from "../../inventory/kinds.js";
import { type KubeObject, labelsOf } from "../../inventory/model.js";
import { L } from "../../mesh/labels.js";
import {
  hasGaps,
  hboneAllowName,
  hboneGaps,
  PROBE_SNAT_IPV4,
  podSelectorMatches,
} from "../../mesh/network-policy.js";
import { someOf } from "../../text.js";
import type { IngressBackend } from "../../waves/graph.js";
import type { NamespaceCheck } from "../check.js";
import type { NamespaceContext } from "../context.js";
import type { Finding } from "../finding.js";

/** Go's strconv.ParseBool, as istiod reads istio.io/ingress-use-waypoint; undefined when invalid. */
export function parseBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  return undefined;
}

const migrates = (ctx: NamespaceContext) =>
  ctx.state().mode === "sidecar" || ctx.state().mode === "migrating";

const namespaceObjectOf = (ctx: NamespaceContext): KubeObject =>
  ctx.namespaceObject ?? { apiVersion: "v1", kind: "Namespace", metadata: { name: ctx.namespace } };

/** Whether istiod sends ingress traffic for this Service through its waypoint (Service label, then namespace). */
function ingressUsesWaypoint(service: KubeObject, nsLabels: Record<string, string>): boolean {
  const own = labelsOf(service)[L.ingressUseWaypoint];
  return parseBool(own ?? nsLabels[L.ingressUseWaypoint]) === true;
}

/** Services of the namespace that ingress gateways route to, with the routes, for the check and the plan. */
export function ingressBackendsOf(ctx: NamespaceContext): { service: KubeObject; via: IngressBackend[] }[] {
  const all = ctx.mesh.ingressBackends();
  const out: { service: KubeObject; via: IngressBackend[] }[] = [];
  for (const service of ctx.list(K.Service)) {
    const via = all.filter(
      (b) => b.service.namespace === ctx.namespace && b.service.name === service.metadata.name,
    );
    if (via.length > 0) out.push({ service, via });
  }
  return out;
}

const ingressBypassesWaypoint: NamespaceCheck = (ctx) => {
  if (!migrates(ctx) || !ctx.usesWaypoint()) return [];
  return ingressBackendsOf(ctx).flatMap(({ service, via }): Finding[] => {
    if (ingressUsesWaypoint(service, ctx.labels)) return [];
    const name = service.metadata.name;
    const routes = someOf(via.map((v) => v.via));
    const explicit = labelsOf(service)[L.ingressUseWaypoint];
    if (service.spec?.clusterIP === "None")
      return [
        ctx.finding(
          "ingress-bypasses-waypoint",
          service,
          `headless Service ${name} is a backend of ${routes}: gateways reach its pods directly, and istiod cannot send ingress traffic for a Service without a cluster IP through the waypoint, so the waypoint's L7 policies and routes never apply to ingress traffic`,
          "give the gateway a Service with a cluster IP to route to, or enforce the ingress policy at the gateway",
        ),
      ];
    if (explicit !== undefined && parseBool(explicit) === false)
      return [
        ctx.finding(
          "ingress-bypasses-waypoint",
          service,
          `Service ${name} is a backend of ${routes} and is labelled ${L.ingressUseWaypoint}=${explicit}: ingress traffic goes straight to its pods, skipping the waypoint's L7 policies and routes`,
          `the plan leaves the explicit value alone; set ${L.ingressUseWaypoint}=true if the waypoint's policies must apply to ingress traffic`,
        ),
      ];
    return [
      ctx.finding(
        "ingress-bypasses-waypoint",
        service,
        `Service ${name} is a backend of ${routes}; after step 1 ingress traffic goes straight to its pods, skipping the waypoint's L7 policies and routes, unless the Service carries ${L.ingressUseWaypoint}=true`,
        `the plan sets ${L.ingressUseWaypoint}=true on Service ${name} in step 1 (journalled; rollback removes it); the waypoint then sees the gateway's identity as the caller: allow it in the waypoint's policies`,
      ),
    ];
  });
};

const networkPolicyBlocksHbone: NamespaceCheck = (ctx) => {
  if (ctx.state().mode === "not-meshed") return [];
  const templates = ctx.workloads().map((w) => w.workload.template.labels);
  return ctx.list(K.NetworkPolicy).flatMap((np): Finding[] => {
    const gaps = hboneGaps(np);
    if (!hasGaps(gaps) || !templates.some((labels) => podSelectorMatches(np, labels))) return [];
    const parts = [
      ...(gaps.ingress
        ? [
            "its ingress rules let no TCP 15008 (HBONE) in: ambient callers, and the waypoint, cannot reach the pods",
          ]
        : []),
      ...(gaps.egress
        ? [
            "its egress rules let no TCP 15008 out: the pods' ztunnel cannot open HBONE to ambient or HBONE sidecar peers",
          ]
        : []),
      ...(gaps.probes
        ? [
            `kubelet probes, which ambient rewrites to come from ${PROBE_SNAT_IPV4}, are not allowed in: pods turn unready`,
          ]
        : []),
    ];
    return [
      ctx.finding(
        "network-policy-blocks-hbone",
        np,
        `NetworkPolicy ${np.metadata.name} selects pods of ${ctx.namespace}: ${parts.join("; ")}`,
        `the plan adds NetworkPolicy ${hboneAllowName(np)} (owned by the tool) in step 2, for the same pods, allowing what is missing; rollback deletes it. Once 15008 is open, port restrictions no longer hold through the tunnel (istio/istio#56659): express them as AuthorizationPolicy to.operation.ports`,
      ),
    ];
  });
};

const sidecarCallersBypassWaypoint: NamespaceCheck = (ctx) => {
  if (!migrates(ctx) || !ctx.usesWaypoint()) return [];
  const onSidecars = ctx.mesh.sidecarNamespaces();
  const callers = ctx.mesh
    .callGraph()
    .callersOf(ctx.namespace)
    .filter((e) => onSidecars.has(e.from));
  if (callers.length === 0) return [];
  const named = callers.map(
    (e) => `${e.from} (${e.evidence[0]}${e.evidence.length > 1 ? `, +${e.evidence.length - 1}` : ""})`,
  );
  return [
    ctx.finding(
      "sidecar-callers-bypass-waypoint",
      namespaceObjectOf(ctx),
      `namespaces still on sidecars call ${ctx.namespace}: ${named.join("; ")}; sidecars send straight to the pods, so their requests skip the waypoint's L7 policies until they migrate`,
      `migrate the callers first (plan --waves orders them); with --bypass-deny their service accounts are exempted from the bypass DENY and removed as each caller namespace completes step 4`,
    ),
  ];
};

const headlessServiceSidecarCallers: NamespaceCheck = (ctx) => {
  if (!migrates(ctx)) return [];
  // Headless Services first: most namespaces have none, and the list of the other sidecar
  // namespaces (thousands in a large mesh) is then never built.
  const headless = ctx.list(K.Service).filter((svc) => svc.spec?.clusterIP === "None" && svc.spec?.selector);
  if (headless.length === 0) return [];
  const sidecars = ctx.mesh.sidecarNamespaces();
  const others = [...sidecars].filter((ns) => ns !== ctx.namespace).sort();
  if (others.length === 0) return [];
  const callers = ctx.mesh
    .callGraph()
    .callersOf(ctx.namespace)
    .map((e) => e.from)
    .filter((ns) => ns !== ctx.namespace && sidecars.has(ns));
  return headless.map((svc) =>
    ctx.finding(
      "headless-service-sidecar-callers",
      svc,
      `headless Service ${svc.metadata.name}: sidecars cannot send HBONE to the pod IPs behind a headless Service (istio/istio#54921); once its first pod runs without a sidecar, sidecar clients send plaintext to every pod of it, which STRICT mTLS and identity-based policies reject. ${callers.length > 0 ? `Sidecar callers: ${someOf(callers)}` : `Namespaces still on sidecars: ${someOf(others)}`}`,
      "migrate the sidecar callers first (plan --waves), or give those clients a Service with a cluster IP; ambient callers also reach these pods by IP, so L7 policy needs a workload waypoint",
    ),
  );
};

const modeOf = (pa: KubeObject | undefined): string | undefined => {
  const mode = pa?.spec?.mtls?.mode as string | undefined;
  return mode && mode !== "UNSET" ? mode : undefined;
};

const portLevelMtlsPermissive: NamespaceCheck = (ctx) =>
  ctx.list(K.PeerAuthentication).flatMap((pa): Finding[] => {
    const ports = Object.entries((pa.spec?.portLevelMtls ?? {}) as Record<string, { mode?: string }>)
      .filter(([, s]) => (s?.mode ?? "UNSET") === "PERMISSIVE" || (s?.mode ?? "UNSET") === "UNSET")
      .map(([port, s]) => `${port} (${s?.mode ?? "UNSET"})`);
    if (ports.length === 0) return [];
    const nsWide = ctx.list(K.PeerAuthentication).find((p) => !p.spec?.selector && p !== pa);
    const meshWide = ctx.inventory
      .inNamespace(K.PeerAuthentication, ctx.mesh.rootNamespace)
      .find((p) => !p.spec?.selector);
    const [mode, from] = modeOf(pa)
      ? [modeOf(pa), "its own mode"]
      : modeOf(nsWide)
        ? [modeOf(nsWide), `namespace-wide PeerAuthentication ${nsWide?.metadata.name}`]
        : [modeOf(meshWide), "the mesh-wide PeerAuthentication"];
    if (mode !== "STRICT") return [];
    return [
      ctx.finding(
        "port-level-mtls-permissive",
        pa,
        `PeerAuthentication ${pa.metadata.name} exempts port(s) ${ports.join(", ")} from STRICT (${from}); ztunnel before Istio 1.25 still rejected plaintext there (istio/istio#53884), and after migration plaintext callers arrive without identity: principal- or namespace-based ALLOW policies and the waypoint-bypass DENY reject them, and they never pass the waypoint`,
        "check the Istio version (1.25+ merges port exceptions for ztunnel); list the plaintext callers of those ports (webhooks, scrapers, non-mesh clients) and allow them by ipBlocks, not identity",
      ),
    ];
  });

const exportedNarrowly = (se: KubeObject) => {
  const exportTo = se.spec?.exportTo as string[] | undefined;
  return Array.isArray(exportTo) && exportTo.length > 0 && !exportTo.includes("*");
};

function registryOnly(ctx: NamespaceContext): string | undefined {
  const sidecar = ctx
    .list(K.Sidecar)
    .find((s) => s.spec?.outboundTrafficPolicy?.mode === "REGISTRY_ONLY" && !s.spec?.workloadSelector);
  if (sidecar) return `Sidecar ${sidecar.metadata.name} sets outboundTrafficPolicy REGISTRY_ONLY`;
  for (const cm of ctx.mesh.meshConfigMaps()) {
    const mesh = String((cm.data as Record<string, unknown>).mesh ?? "");
    if (/outboundTrafficPolicy:\s*\n\s+mode:\s*REGISTRY_ONLY/.test(mesh))
      return `mesh config (${cm.metadata.namespace}/${cm.metadata.name}) sets outboundTrafficPolicy REGISTRY_ONLY`;
  }
  return undefined;
}

const serviceEntryExportTo: NamespaceCheck = (ctx) => {
  if (!migrates(ctx)) return [];
  const out: Finding[] = [];
  for (const se of ctx.list(K.ServiceEntry).filter(exportedNarrowly))
    out.push(
      ctx.finding(
        "service-entry-export-to",
        se,
        `ServiceEntry ${se.metadata.name} is exported only to ${(se.spec.exportTo as string[]).join(", ")}; ztunnel ignores exportTo (istio/istio#55163): in ambient mode every namespace sees ${((se.spec?.hosts ?? []) as string[]).join(", ")}, and through its waypoint if it has one`,
        "do not rely on exportTo as a boundary: from Istio 1.31, meshConfig.serviceEntryVisibility scopes ServiceEntries for ztunnel; restrict callers with AuthorizationPolicy on the egress waypoint",
      ),
    );
  const registry = registryOnly(ctx);
  const egressRoutes = ctx
    .virtualServices()
    .filter(
      ({ object, binding }) =>
        binding !== "ingress" && JSON.stringify(object.spec ?? {}).includes("egressgateway"),
    );
  const reasons = [
    ...(registry ? [registry] : []),
    ...egressRoutes.map(
      ({ object }) => `VirtualService ${object.metadata.name} sends mesh traffic through an egress gateway`,
    ),
  ];
  if (reasons.length > 0) {
    const object = egressRoutes[0]?.object ?? ctx.list(K.Sidecar)[0] ?? namespaceObjectOf(ctx);
    out.push(
      ctx.finding(
        "service-entry-export-to",
        object,
        `${ctx.namespace}'s egress relies on sidecars: ${reasons.join("; ")}. ztunnel has no outbound traffic policy and the Sidecar resource does not apply to ambient pods, so after step 4 unknown hosts are reachable, and sidecar routes to the egress gateway no longer apply`,
        "before step 4, block unknown egress with an egress NetworkPolicy (allow the cluster, DNS and the egress waypoint) and route allowed hosts through ServiceEntries bound to an egress waypoint (istio.io/use-waypoint), with AuthorizationPolicy targetRefs on it",
      ),
    );
  }
  return out;
};

export const trafficSafetyChecks: readonly NamespaceCheck[] = [
  ingressBypassesWaypoint,
  networkPolicyBlocksHbone,
  sidecarCallersBypassWaypoint,
  headlessServiceSidecarCallers,
  portLevelMtlsPermissive,
  serviceEntryExportTo,
];
