// istiod's mesh config as the inventory holds it (ConfigMap `istio`, or `istio-<rev>` per
// revision), and what the tool reads from it: the root namespace, where mesh-wide policies live.

import { parse } from "yaml";
import { K } from "../inventory/kinds.js";
import type { Inventory, KubeObject } from "../inventory/model.js";

/** Istio's default when the mesh config names none. */
export const DEFAULT_ROOT_NAMESPACE = "istio-system";

// biome-ignore lint/suspicious/noExplicitAny: parsed mesh config
function meshConfigOf(cm: KubeObject): any {
  try {
    return parse(String((cm.data as Record<string, unknown>).mesh ?? ""));
  } catch {
    return undefined;
  }
}

/** istiod's mesh config ConfigMaps: `istio`, or `istio-<rev>` per revision. */
export function meshConfigMaps(inventory: Inventory): KubeObject[] {
  return inventory
    .list(K.ConfigMap)
    .filter(
      (cm) =>
        /^istio(-[\w.-]+)?$/.test(cm.metadata.name) &&
        typeof cm.data === "object" &&
        cm.data !== null &&
        "mesh" in (cm.data as object),
    );
}

/** The root namespace: the one given (`--root-namespace`), else the mesh config's, else Istio's default. */
export function rootNamespaceOf(inventory: Inventory, given?: string): string {
  if (given) return given;
  let root = DEFAULT_ROOT_NAMESPACE;
  for (const cm of meshConfigMaps(inventory)) {
    const configured = meshConfigOf(cm)?.rootNamespace;
    if (typeof configured === "string" && configured) root = configured;
  }
  return root;
}
