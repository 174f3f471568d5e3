// DestinationRule subsets -> one Service per subset (`<svc>-<subset>`), whose selector is the
// parent Service's selector plus the subset's labels: HTTPRoute backends can only name
// Services. Traffic policies move to a DestinationRule for each new host.

import { K } from "../inventory/kinds.js";
import type { Inventory, KubeObject } from "../inventory/model.js";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../ownership.js";
import { resolveHost, serviceFqdn } from "./hosts.js";
import { dns1035Label, translatedMetadata } from "./meta.js";
import { hasErrors, noter, type ReportEntry } from "./report.js";

export function subsetServiceName(service: string, subset: string): string {
  return dns1035Label(`${service}-${subset}`).name;
}

// biome-ignore lint/suspicious/noExplicitAny: raw subset JSON
type RawSubset = { name: string; labels?: Record<string, string>; trafficPolicy?: any };

type SubsetEntry = { rule: KubeObject; subset: RawSubset };
type SubsetIndex = { objects: number; byService: Map<string, Map<string, SubsetEntry>> };
const subsetIndexes = new WeakMap<Inventory, SubsetIndex>();

/** Subsets by Service (`namespace/name`), built once per inventory (rebuilt if objects are added). */
function subsetIndex(inventory: Inventory): SubsetIndex {
  const cached = subsetIndexes.get(inventory);
  if (cached && cached.objects === inventory.count()) return cached;
  const byService: SubsetIndex["byService"] = new Map();
  for (const rule of inventory.list(K.DestinationRule)) {
    const target = resolveHost(
      inventory,
      String(rule.spec?.host ?? ""),
      rule.metadata.namespace ?? "default",
    );
    if (target.kind !== "Service") continue;
    const key = `${target.namespace}/${target.name}`;
    const subsets = byService.get(key) ?? new Map<string, SubsetEntry>();
    for (const subset of (rule.spec?.subsets ?? []) as RawSubset[]) {
      if (!subsets.has(subset.name)) subsets.set(subset.name, { rule, subset });
    }
    byService.set(key, subsets);
  }
  const index = { objects: inventory.count(), byService };
  subsetIndexes.set(inventory, index);
  return index;
}

/** The subset named `subset` of Service `name.namespace`, from any DestinationRule in the input. */
export function findSubset(
  inventory: Inventory,
  name: string,
  namespace: string,
  subset: string,
): SubsetEntry | undefined {
  return subsetIndex(inventory).byService.get(`${namespace}/${name}`)?.get(subset);
}

export interface DestinationRuleTranslation {
  objects: KubeObject[];
  replaced: boolean;
}

export function translateDestinationRule(
  inventory: Inventory,
  rule: KubeObject,
  report: ReportEntry[],
): DestinationRuleTranslation {
  const note = noter(report, rule);
  const namespace = rule.metadata.namespace ?? "default";
  const subsets = (rule.spec?.subsets ?? []) as RawSubset[];
  const topPolicy = rule.spec?.trafficPolicy;
  const firstEntry = report.length;
  const objects: KubeObject[] = [];
  if (rule.spec?.workloadSelector) {
    note(
      "warning",
      "spec.workloadSelector",
      "selects client sidecars, which ambient does not have: the rule stops applying once they are gone",
    );
  }
  if (topPolicy) {
    note(
      "info",
      "spec.trafficPolicy",
      `kept: waypoints apply it to ${rule.spec?.host}; the DestinationRule stays in place`,
    );
  }
  if (subsets.length === 0) return { objects, replaced: false };
  const target = resolveHost(inventory, String(rule.spec?.host ?? ""), namespace);
  if (target.kind !== "Service") {
    note(
      "error",
      "spec.subsets",
      `subsets of ${rule.spec?.host} are not translated: only Kubernetes Service hosts can get subset Services`,
    );
    return { objects, replaced: false };
  }
  const parent = target.service;
  const parentSelector = parent?.spec?.selector as Record<string, string> | undefined;
  if (!parent || !parentSelector || Object.keys(parentSelector).length === 0) {
    note(
      "error",
      "spec.subsets",
      `Service ${target.namespace}/${target.name} is ${parent ? "without a selector" : "not in the input"}: cannot make subset Services (their selector extends the parent's)`,
    );
    return { objects, replaced: false };
  }
  subsets.forEach((subset, i) => {
    const at = `spec.subsets[${i}]`;
    const wanted = `${target.name}-${subset.name}`;
    const { name, changed } = dns1035Label(wanted);
    if (changed) note("warning", `${at}.name`, `${wanted} is not a valid Service name: named ${name}`);
    const labels = subset.labels ?? {};
    const clash = Object.entries(labels).filter(
      ([k, v]) => parentSelector[k] !== undefined && parentSelector[k] !== v,
    );
    if (clash.length > 0) {
      note(
        "error",
        `${at}.labels`,
        `label(s) ${clash.map(([k]) => k).join(", ")} contradict Service ${target.name}'s selector: the subset selects no endpoint of it; no Service made`,
      );
      return;
    }
    const selector = { ...parentSelector, ...labels };
    const existing = inventory.get(K.Service, target.namespace, name);
    if (existing && existing.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) {
      if (sameMap(existing.spec?.selector ?? {}, selector)) {
        note("info", at, `Service ${target.namespace}/${name} already exists with the same selector: reused`);
      } else {
        note(
          "error",
          at,
          `Service ${target.namespace}/${name} already exists with another selector: rename it or the subset`,
        );
      }
    } else {
      objects.push(subsetService(name, target.namespace, selector, parent, rule));
      note("info", at, `subset ${subset.name} -> Service ${target.namespace}/${name}`);
    }
    if (topPolicy || subset.trafficPolicy) {
      objects.push(
        subsetDestinationRule(
          name,
          target.namespace,
          { ...(topPolicy ?? {}), ...(subset.trafficPolicy ?? {}) },
          rule,
        ),
      );
      note(
        "info",
        `${at}.trafficPolicy`,
        `trafficPolicy (top-level merged with the subset's, field by field) -> DestinationRule ${target.namespace}/${name} for host ${serviceFqdn(name, target.namespace)}`,
      );
    }
  });
  return { objects, replaced: !topPolicy && !hasErrors(report.slice(firstEntry)) };
}

function subsetService(
  name: string,
  namespace: string,
  selector: Record<string, string>,
  parent: KubeObject,
  source: KubeObject,
): KubeObject {
  // biome-ignore lint/suspicious/noExplicitAny: raw ServicePort
  const ports = ((parent.spec?.ports ?? []) as any[]).map((p) => {
    const port: Record<string, unknown> = {};
    for (const field of ["name", "protocol", "appProtocol", "port", "targetPort"]) {
      if (p[field] !== undefined) port[field] = p[field];
    }
    return port;
  });
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: translatedMetadata(name, namespace, source),
    spec: { selector, ports },
  };
}

function subsetDestinationRule(
  name: string,
  namespace: string,
  trafficPolicy: unknown,
  source: KubeObject,
): KubeObject {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: translatedMetadata(name, namespace, source),
    spec: { host: serviceFqdn(name, namespace), trafficPolicy },
  };
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
