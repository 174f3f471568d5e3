// What the plan says about observability after migration: per namespace, the changes the
// observability module finds (seen as the namespace will be once step 1 pointed it at its
// waypoint), and mesh-wide, the dashboards and rules whose queries must be rewritten. Notes
// only: the plan makes no cluster change for them.

import type { MeshContext } from "../assess/context.js";
import { K, type KnownKindKey } from "../inventory/kinds.js";
import type { Inventory, KubeObject } from "../inventory/model.js";
import { L } from "../mesh/labels.js";
import { waypointGateway } from "../mesh/waypoint.js";
import { observabilityChangesFor } from "../observability/changes.js";
import { rewriteDocument } from "../observability/report.js";
import { toYaml } from "../serialize.js";
import type { DocumentToRewrite, PlanObservability, WaypointPlan } from "./model.js";

export function namespaceObservability(
  inventory: Inventory,
  namespace: string,
  waypoint: WaypointPlan,
  rootNamespace: string,
): PlanObservability {
  const changes = observabilityChangesFor(
    waypoint.needed ? withWaypointInUse(inventory, namespace, waypoint) : inventory,
    namespace,
    rootNamespace,
  );
  return {
    ...changes,
    podMonitorsToGenerate: changes.apps.filter((a) => a.mergedBySidecar).map((a) => a.workload),
  };
}

/**
 * The inventory as observability sees it after step 1: the namespace labelled with its waypoint,
 * the waypoint Gateway present. A view, not a copy: everything else reads the real inventory.
 */
function withWaypointInUse(inventory: Inventory, namespace: string, waypoint: WaypointPlan): Inventory {
  const current = inventory.namespaceObject(namespace);
  const labelled: KubeObject = {
    apiVersion: "v1",
    kind: "Namespace",
    ...current,
    metadata: {
      name: namespace,
      ...current?.metadata,
      labels: {
        ...current?.metadata.labels,
        [L.useWaypoint]: waypoint.name,
        ...(waypoint.namespace !== namespace ? { [L.useWaypointNamespace]: waypoint.namespace } : {}),
      },
    },
  };
  const view = Object.create(inventory) as Inventory;
  view.namespaceObject = (name: string) => (name === namespace ? labelled : inventory.namespaceObject(name));
  view.inNamespace = (kind: KnownKindKey, ns: string) => {
    const objects = inventory.inNamespace(kind, ns);
    return kind === K.Gateway && waypoint.create && ns === waypoint.namespace
      ? [...objects, waypointGateway(ns, waypoint.name)]
      : objects;
  };
  return view;
}

/** Dashboards (ConfigMaps) and PrometheusRules whose queries the `during` rewrite changes or flags. */
export function documentsToRewrite(mesh: MeshContext): DocumentToRewrite[] {
  const inventory = mesh.inventory;
  const out: DocumentToRewrite[] = [];
  for (const object of [...inventory.list(K.ConfigMap), ...inventory.list(K.PrometheusRule)]) {
    // Only queries on Istio's metrics change; most ConfigMaps are not dashboards at all.
    if (!JSON.stringify(object).includes("istio_")) continue;
    const source = `${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
    const result = rewriteDocument({ source, text: toYaml(object), format: "yaml" }, "during");
    const count = (status: string) => result.expressions.filter((e) => e.status === status).length;
    const rewritten = count("rewritten");
    const flagged = count("flagged");
    if (rewritten + flagged === 0) continue;
    const origin = mesh.originOf(object);
    out.push({ source, ...(origin ? { origin } : {}), rewritten, flagged });
  }
  return out;
}
