// Fills the inventory from a live cluster: ONE cluster-wide list per kind (never one per
// namespace, so a cluster with thousands of namespaces costs a few dozen requests), streamed
// where the server supports it, most of them at once. Kinds whose CRDs are absent are skipped with a note, except Istio's own:
// without them there is no mesh to migrate.

import { crdsMissing } from "../cluster/errors.js";
import type { ClusterPort, ListOptions } from "../cluster/port.js";
import { KINDS, type KindInfo, kindKey } from "./kinds.js";
import { addServed, Inventory } from "./model.js";

interface ClusterReadOptions {
  /** Progress and notes for stderr. */
  note?: (message: string) => void;
  /** Lists in flight at once (default: 16). */
  concurrency?: number;
  kinds?: readonly KindInfo[];
  /** Report progress of a list once it has run this long. */
  progressAfterMs?: number;
  /** Selectors per kind (by kindKey), instead of the defaults (ConfigMaps without certificates). */
  listOptions?: Readonly<Record<string, ListOptions>>;
}

/** What a command reads of a live cluster, when it reads less than everything (status). */
export type ClusterReadScope = Pick<ClusterReadOptions, "kinds" | "listOptions">;

/** Istio's core CRDs: their absence means Istio is not installed. */
const REQUIRED_GROUPS = new Set(["networking.istio.io", "security.istio.io"]);

/**
 * Certificate bundles that Kubernetes (kube-root-ca.crt) and istiod (istio-ca-root-cert,
 * istio-ca-crl) publish into every namespace: most of a cluster's ConfigMap bytes (at 1,000
 * namespaces 4 of 5 MB), kept by their controllers, and nothing the tool reads or changes. Left
 * out by the apiserver, so they are neither sent nor parsed.
 */
export const PUBLISHED_CERTIFICATES = ["kube-root-ca.crt", "istio-ca-root-cert", "istio-ca-crl"];
const LIST_OPTIONS: Record<string, ListOptions> = {
  [kindKey("", "ConfigMap")]: {
    fieldSelector: PUBLISHED_CERTIFICATES.map((name) => `metadata.name!=${name}`).join(","),
  },
};

/** Enough lists at once that round trips overlap; the client's JSON parsing is the limit. */
const CONCURRENCY = 16;

export async function readCluster(port: ClusterPort, options: ClusterReadOptions = {}): Promise<Inventory> {
  const note = options.note ?? (() => {});
  const kinds = options.kinds ?? KINDS;
  const served = await mapLimited(kinds, options.concurrency ?? CONCURRENCY, async (kind) =>
    kind.group === "" ? true : port.hasResource(kind.group, kind.version, kind.plural),
  );
  const absent = kinds.filter((_, i) => !served[i]);
  const missingRequired = absent.filter((k) => REQUIRED_GROUPS.has(k.group));
  if (missingRequired.length > 0) throw crdsMissing(missingRequired);
  if (absent.length > 0) {
    note(
      `the cluster does not serve ${absent.map((k) => `${kindKey(k.group, k.kind)} ${k.version}`).join(", ")}: skipped`,
    );
  }
  const present = kinds.filter((_, i) => served[i]);
  const progressAfter = options.progressAfterMs ?? 2000;
  const lists = await mapLimited(present, options.concurrency ?? CONCURRENCY, async (kind) => {
    const started = Date.now();
    let lastNote = started;
    return port.list(kind, undefined, {
      ...(options.listOptions ?? LIST_OPTIONS)[kindKey(kind.group, kind.kind)],
      onPage: (read) => {
        const now = Date.now();
        if (now - started >= progressAfter && now - lastNote >= 1000) {
          lastNote = now;
          note(`listing ${kind.plural}: ${read} so far`);
        }
      },
    });
  });
  const inventory = new Inventory({ type: "cluster", context: port.context });
  for (const list of lists) for (const object of list.items) addServed(inventory, object);
  return inventory;
}

/** Runs fn over items with at most `limit` in flight; results keep the items' order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
