// Reading VirtualServices and DestinationRules the way the migration needs: is a route for
// mesh (east-west) traffic, which features have no HTTPRoute equivalent, which subsets it uses.

import type { KubeObject } from "../inventory/model.js";

const MESH_GATEWAY = "mesh";

/** A VS with no `gateways` applies to sidecars only; `mesh` in the list adds sidecars. */
export type MeshBinding = "mesh" | "ingress" | "mesh-and-ingress";

export function vsBinding(vs: KubeObject): MeshBinding {
  const gateways: string[] = Array.isArray(vs.spec?.gateways) ? vs.spec.gateways : [];
  if (gateways.length === 0) return "mesh";
  const mesh = gateways.includes(MESH_GATEWAY);
  if (!mesh) return "ingress";
  return gateways.length > 1 ? "mesh-and-ingress" : "mesh";
}

export function ingressGatewaysOf(vs: KubeObject): string[] {
  return ((vs.spec?.gateways ?? []) as string[]).filter((g) => g !== MESH_GATEWAY);
}

/**
 * Features of a VirtualService that neither Gateway API nor Istio's HTTPRoute conversion can
 * express (translation.md): each is named with where it occurs, e.g. "http[0].fault".
 */
export function unsupportedVsFeatures(vs: KubeObject): string[] {
  const out: string[] = [];
  const spec = vs.spec ?? {};
  (spec.http ?? []).forEach((route: Record<string, unknown>, i: number) => {
    for (const field of ["fault", "delegate", "directResponse"]) {
      if (route?.[field] !== undefined) out.push(`http[${i}].${field}`);
    }
    ((route?.match ?? []) as Record<string, unknown>[]).forEach((match, j) => {
      for (const field of ["sourceLabels", "withoutHeaders", "sourceNamespace", "gateways"]) {
        if (match?.[field] !== undefined) out.push(`http[${i}].match[${j}].${field}`);
      }
    });
  });
  if (Array.isArray(spec.tcp) && spec.tcp.length > 0) out.push("tcp (needs a TCPRoute)");
  if (Array.isArray(spec.tls) && spec.tls.length > 0) out.push("tls (needs a TLSRoute)");
  return out;
}

/** The Service a host names in this namespace (short name or <svc>.<ns>[.svc[.cluster.local]]). */
export function serviceOfHost(
  host: string,
  namespace: string,
): { name: string; namespace: string } | undefined {
  if (!host || host.includes("*")) return undefined;
  const parts = host.split(".");
  if (parts.length === 1) return { name: host, namespace };
  const [name, ns, svc] = parts as [string, string, string | undefined];
  if (svc !== undefined && svc !== "svc") return undefined;
  return { name, namespace: ns };
}

/** "namespace/service/subset" for every destination of a VS that names a subset. */
export function subsetsUsedBy(vs: KubeObject): Set<string> {
  const namespace = vs.metadata.namespace ?? "";
  const out = new Set<string>();
  for (const section of ["http", "tcp", "tls"]) {
    for (const route of (vs.spec?.[section] ?? []) as {
      route?: { destination?: { host?: string; subset?: string } }[];
    }[]) {
      for (const dest of route?.route ?? []) {
        const svc = serviceOfHost(dest.destination?.host ?? "", namespace);
        if (svc && dest.destination?.subset)
          out.add(`${svc.namespace}/${svc.name}/${dest.destination.subset}`);
      }
    }
  }
  return out;
}

/** A DestinationRule carries more than subsets (connection pool, outlier detection, TLS). */
export function hasTrafficPolicy(dr: KubeObject): boolean {
  if (dr.spec?.trafficPolicy) return true;
  return ((dr.spec?.subsets ?? []) as { trafficPolicy?: unknown }[]).some((s) => s.trafficPolicy);
}
