// Destinations by what they reach: a Service host (and subset) becomes the pods its selector
// (plus the DestinationRule subset's labels) selects, and the target port. So the sidecar's
// `outbound|9080|v1|reviews…` and the waypoint's `inbound-vip|9080|http|reviews-v1…` compare
// equal when subset Service reviews-v1 selects what subset v1 did.

import { K } from "../inventory/kinds.js";
import { type Inventory, labelsOf } from "../inventory/model.js";
import { findSubset } from "../translate/subsets.js";
import type { ClusterTarget, DestinationResolver } from "./effect.js";

// biome-ignore lint/suspicious/noExplicitAny: raw Service ports
type RawPort = any;

function selectorText(selector: Record<string, string>): string {
  return Object.entries(selector)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** `<name>.<ns>.svc.<domain>` → name and namespace; other hosts are not Services. */
function serviceOf(host: string): { name: string; namespace: string } | undefined {
  const m = /^([^.]+)\.([^.]+)\.svc(\.|$)/.exec(host);
  return m ? { name: m[1] ?? "", namespace: m[2] ?? "" } : undefined;
}

export function inventoryResolver(inventory: Inventory): DestinationResolver {
  const cache = new Map<string, string>();
  return (t: ClusterTarget) => {
    const key = `${t.host}|${t.port}|${t.subset}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const plain = `${t.host}:${t.port}${t.subset ? `/${t.subset}` : ""}`;
    let out = plain;
    const ref = serviceOf(t.host);
    const svc = ref && inventory.get(K.Service, ref.namespace, ref.name);
    const selector = svc?.spec?.selector as Record<string, string> | undefined;
    if (ref && svc && selector) {
      const port = ((svc.spec?.ports ?? []) as RawPort[]).find((p) => p.port === t.port);
      const targetPort = String(port?.targetPort ?? t.port);
      let labels: Record<string, string> | undefined = { ...selector };
      if (t.subset) {
        const subset = findSubset(inventory, ref.name, ref.namespace, t.subset)?.subset;
        labels = subset ? { ...selector, ...(subset.labels ?? {}) } : undefined;
      }
      if (labels) {
        const want = labels;
        const pods = inventory
          .inNamespace(K.Pod, ref.namespace)
          .filter((p) => Object.entries(want).every(([k, v]) => labelsOf(p)[k] === v))
          .map((p) => p.metadata.name)
          .sort();
        out =
          pods.length > 0
            ? `pods ${ref.namespace}/{${pods.join(",")}}:${targetPort}`
            : `selector ${ref.namespace}/{${selectorText(want)}}:${targetPort}`;
      } else out = `${plain} (subset not found)`;
    }
    cache.set(key, out);
    return out;
  };
}
