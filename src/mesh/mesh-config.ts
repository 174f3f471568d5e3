// istiod's mesh config as the inventory holds it (ConfigMap `istio`, or `istio-<rev>` per
// revision), and what the tool reads from it: the root namespace, where mesh-wide policies live.

import { parse } from "yaml";
import { K } from "../inventory/kinds.js";
import type { Inventory, KubeObject } from "../inventory/model.js";

/** Istio's default when the mesh config names none. */
const DEFAULT_ROOT_NAMESPACE = "istio-system";

// biome-ignore lint/suspicious/noExplicitAny: parsed mesh config
function meshConfigOf(cm: KubeObject): any {
  try {
    return parse(String((cm.data as Record<string, unknown>).mesh ?? ""));
  } catch {
    return undefined;
  }
}

/**
 * What was found among the inventory's ConfigMaps, kept while no ConfigMap is added: checks and
 * plans ask for each namespace, and scanning every ConfigMap each time is quadratic (10,000
 * namespaces hold 10,000 kube-root-ca.crt ConfigMaps).
 */
const found = new WeakMap<object, { count: number; maps: readonly KubeObject[]; root: string }>();

function meshConfigsOf(inventory: Inventory): { maps: readonly KubeObject[]; root: string } {
  const entries = inventory.entries(K.ConfigMap);
  const known = found.get(entries);
  if (known && known.count === entries.length) return known;
  const maps = entries
    .map((e) => e.object)
    .filter(
      (cm) =>
        /^istio(-[\w.-]+)?$/.test(cm.metadata.name) &&
        typeof cm.data === "object" &&
        cm.data !== null &&
        "mesh" in (cm.data as object),
    );
  let root = DEFAULT_ROOT_NAMESPACE;
  for (const cm of maps) {
    const configured = meshConfigOf(cm)?.rootNamespace;
    if (typeof configured === "string" && configured) root = configured;
  }
  const result = { count: entries.length, maps, root };
  found.set(entries, result);
  return result;
}

/** istiod's mesh config ConfigMaps: `istio`, or `istio-<rev>` per revision. */
export function meshConfigMaps(inventory: Inventory): readonly KubeObject[] {
  return meshConfigsOf(inventory).maps;
}

/** The root namespace: the one given (`--root-namespace`), else the mesh config's, else Istio's default. */
export function rootNamespaceOf(inventory: Inventory, given?: string): string {
  return given || meshConfigsOf(inventory).root;
}
