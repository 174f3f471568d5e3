// The cluster's inventory kept current by watches (one per kind, cluster-wide, as readCluster
// lists them), for `status --watch`: every change the apiserver reports becomes a new Inventory,
// handed over at most once per `settleMs` so that a rollout's burst of pod events draws once.
// Never polls: the port's watch resumes, relists on 410 and backs off by itself.

import type { ClusterPort, WatchEvent } from "../../cluster/port.js";
import { mapLimited } from "../../inventory/from-cluster.js";
import { KINDS, type KindInfo, kindKey } from "../../inventory/kinds.js";
import { addServed, Inventory, type KubeObject } from "../../inventory/model.js";

export interface WatchedInventoryOptions {
  signal: AbortSignal;
  /** How long a burst of events may last before the inventory is handed over (default 200ms). */
  settleMs?: number;
  /** The kinds to watch (default: every kind the migration reads). */
  kinds?: readonly KindInfo[];
  /** Selectors per kind (by kindKey). */
  listOptions?: Readonly<Record<string, { fieldSelector?: string }>>;
}

const id = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/** Calls `onChange` with the inventory once every kind is listed, then after each change; resolves when `signal` aborts. */
export async function watchInventory(
  port: ClusterPort,
  onChange: (inventory: Inventory) => void,
  options: WatchedInventoryOptions,
): Promise<void> {
  const wanted = options.kinds ?? KINDS;
  const served = await mapLimited(wanted, 16, (k) =>
    k.group === "" ? Promise.resolve(true) : port.hasResource(k.group, k.version, k.plural),
  );
  const kinds = wanted.filter((_, i) => served[i]);
  const objects = new Map(kinds.map((k) => [kindKey(k.group, k.kind), new Map<string, KubeObject>()]));
  const listed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const handOver = () => {
    timer = undefined;
    if (options.signal.aborted) return;
    const inventory = new Inventory({ type: "cluster", context: port.context });
    for (const byId of objects.values()) for (const o of byId.values()) addServed(inventory, o);
    onChange(inventory);
  };
  const apply = (key: string, event: WatchEvent) => {
    const byId = objects.get(key);
    if (!byId) return;
    if (event.type === "RELISTED") {
      byId.clear();
      for (const o of event.objects) byId.set(id(o), o);
      listed.add(key);
    } else if (event.type === "DELETED") byId.delete(id(event.object));
    else byId.set(id(event.object), event.object);
    // Nothing is drawn before every kind has been listed once.
    if (listed.size === kinds.length && !timer) timer = setTimeout(handOver, options.settleMs ?? 200);
  };
  try {
    await Promise.all(
      kinds.map((k) =>
        port.watch(k, undefined, (event) => apply(kindKey(k.group, k.kind), event), {
          ...options.listOptions?.[kindKey(k.group, k.kind)],
          signal: options.signal,
        }),
      ),
    );
  } finally {
    if (timer) clearTimeout(timer);
  }
}
