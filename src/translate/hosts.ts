// Which object a VirtualService or DestinationRule host names, resolved as istiod does:
// short names (`reviews`) are relative to the config's namespace, `reviews.ns` and
// `reviews.ns.svc[.cluster.local]` name a Service in `ns`, other hosts are ServiceEntry hosts.

import { K } from "../inventory/kinds.js";
import type { Inventory, KubeObject } from "../inventory/model.js";
import { DOMAIN_SUFFIX } from "./meta.js";

export type HostTarget =
  | { kind: "Service"; host: string; name: string; namespace: string; service: KubeObject | undefined }
  | { kind: "ServiceEntry"; host: string; namespace: string; entry: KubeObject }
  | { kind: "unresolved"; host: string; reason: string };

interface HostIndex {
  objects: number;
  namespaces: Set<string>;
  entriesByHost: Map<string, KubeObject[]>;
}

const indexes = new WeakMap<Inventory, HostIndex>();

/** Lookups every host resolution needs, built once per inventory (rebuilt if objects are added). */
function hostIndex(inventory: Inventory): HostIndex {
  const cached = indexes.get(inventory);
  if (cached && cached.objects === inventory.count()) return cached;
  const entriesByHost = new Map<string, KubeObject[]>();
  for (const se of inventory.list(K.ServiceEntry)) {
    for (const host of (se.spec?.hosts ?? []) as string[])
      entriesByHost.set(host, [...(entriesByHost.get(host) ?? []), se]);
  }
  const index = {
    objects: inventory.count(),
    namespaces: new Set(inventory.namespaceNames()),
    entriesByHost,
  };
  indexes.set(inventory, index);
  return index;
}

export function resolveHost(inventory: Inventory, host: string, fromNamespace: string): HostTarget {
  if (host.includes("*")) return { kind: "unresolved", host, reason: "wildcard hosts have no single parent" };
  const entry = serviceEntryFor(inventory, host, fromNamespace);
  if (entry)
    return { kind: "ServiceEntry", host, namespace: entry.metadata.namespace ?? fromNamespace, entry };
  const parts = host.split(".");
  const svcSuffix = `svc.${DOMAIN_SUFFIX}`;
  const rest = parts.slice(2).join(".");
  let name: string | undefined;
  let namespace: string | undefined;
  if (parts.length === 1) [name, namespace] = [parts[0], fromNamespace];
  else if (parts.length === 2 && hostIndex(inventory).namespaces.has(parts[1] ?? ""))
    [name, namespace] = parts;
  else if (parts.length >= 3 && (rest === "svc" || rest === svcSuffix)) [name, namespace] = parts;
  if (name && namespace) {
    return { kind: "Service", host, name, namespace, service: inventory.get(K.Service, namespace, name) };
  }
  return {
    kind: "unresolved",
    host,
    reason: "neither a Kubernetes Service nor a ServiceEntry host in the input",
  };
}

/** The ServiceEntry declaring `host`, preferring one in the same namespace. */
function serviceEntryFor(inventory: Inventory, host: string, fromNamespace: string): KubeObject | undefined {
  const declaring = hostIndex(inventory).entriesByHost.get(host) ?? [];
  return declaring.find((se) => se.metadata.namespace === fromNamespace) ?? declaring[0];
}

export function serviceFqdn(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.${DOMAIN_SUFFIX}`;
}

/** Numbers of the ports a Service or ServiceEntry declares. */
export function declaredPorts(target: HostTarget): number[] {
  if (target.kind === "Service") {
    return ((target.service?.spec?.ports ?? []) as { port: number }[]).map((p) => Number(p.port));
  }
  if (target.kind === "ServiceEntry") {
    return ((target.entry.spec?.ports ?? []) as { number: number }[]).map((p) => Number(p.number));
  }
  return [];
}
