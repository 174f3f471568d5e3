// The translated configuration as the plan uses it: what step 1 applies first, what step 4 applies
// last (bypass DENY), what became of each source (step 5 deletes only what it replaced), and
// whether the namespace must wait because some source cannot be translated faithfully. The
// translator decides; this only places its output.

import { objectKey } from "../inventory/identity.js";
import { groupOf, type KnownKindKey, kindKey, lookupKind } from "../inventory/kinds.js";
import type { Inventory, KubeObject } from "../inventory/model.js";
import { isWaypoint } from "../mesh/waypoint.js";
import {
  type ReportEntry,
  type Translation,
  type TranslationDisposition,
  translate,
} from "../translate/index.js";
import { SOURCE_ANNOTATION } from "../translate/meta.js";
import type { PlanOptions } from "./options.js";

export interface PlannedApply {
  object: KubeObject;
  reason: string;
  created: boolean;
}

export interface TranslatedConfig {
  /** Step 1, first: Services, DestinationRules, HTTPRoutes, policies (no waypoint Gateway). */
  beforeStep1: PlannedApply[];
  /** Step 4, last: the bypass DENY policies (only with `bypassDeny`). */
  afterRestart: PlannedApply[];
  /** The translator made a waypoint for this namespace: the first source that needs it. */
  waypointWanted?: string;
  /** Other namespaces whose waypoint the translated objects use. */
  waypointsElsewhere: string[];
  /** Error and warning entries. */
  report: ReportEntry[];
  /** `Kind/namespace/name` of the sources with error entries. */
  incomplete: string[];
  /** What became of each source of the namespace, by `objectKey`, in the translator's order. */
  sources: Map<string, TranslationDisposition>;
}

/**
 * Translates the namespaces together (the translator indexes the inventory once per call) and
 * splits the result by namespace: each object, report entry and source belongs to one.
 */
export function translateForPlan(
  inventory: Inventory,
  namespaces: readonly string[],
  options: PlanOptions,
  /** Hold each namespace's part as JSON text until it is asked for (a plan printed as it is made). */
  compact = false,
): (namespace: string) => TranslatedConfig {
  const all = translate(inventory, namespaces, { ...options, infos: false });
  const parts = new Map<string, Translation>();
  const part = (namespace: string): Translation => {
    const found = parts.get(namespace);
    if (found) return found;
    const fresh: Translation = {
      objects: [],
      afterRestart: [],
      replaces: [],
      dispositions: [],
      waypoints: [],
      report: [],
    };
    parts.set(namespace, fresh);
    return fresh;
  };
  // The waypoint Gateways are the plan's to build (step 1); the translator says which it needs.
  for (const o of all.objects) if (!isWaypoint(o)) part(o.metadata.namespace ?? "").objects.push(o);
  for (const o of all.afterRestart) part(o.metadata.namespace ?? "").afterRestart.push(o);
  for (const d of all.dispositions) part(d.source.namespace ?? "").dispositions.push(d);
  // A waypoint belongs to the plan of the namespace whose source needs it (it may live elsewhere).
  for (const w of all.waypoints) part(w.neededBy.split("/")[1] ?? "").waypoints.push(w);
  for (const e of all.report) part(e.source.namespace).report.push(e);
  if (!compact) return (namespace) => translatedConfig(inventory, namespace, part(namespace));
  // Each namespace's part waits as JSON text until the plan reaches it: as objects, the
  // translated configuration of a 37,000-namespace mesh held 200 MB beside the inventory.
  const waiting = new Map<string, string>();
  for (const [namespace, t] of parts) waiting.set(namespace, JSON.stringify(t));
  parts.clear();
  return (namespace) => {
    const text = waiting.get(namespace);
    return translatedConfig(inventory, namespace, text ? (JSON.parse(text) as Translation) : part(namespace));
  };
}

function translatedConfig(inventory: Inventory, namespace: string, t: Translation): TranslatedConfig {
  const report = t.report;
  const incomplete = new Set(
    report
      .filter((e) => e.level === "error")
      .map((e) => `${e.source.kind}/${e.source.namespace}/${e.source.name}`),
  );
  const waypointWanted = t.waypoints.find((w) => w.namespace === namespace)?.neededBy;
  return {
    beforeStep1: t.objects.flatMap((o) => planned(inventory, o)),
    afterRestart: t.afterRestart.flatMap((o) => planned(inventory, o)),
    ...(waypointWanted ? { waypointWanted } : {}),
    waypointsElsewhere: t.waypoints
      .map((w) => w.namespace)
      .filter((ns) => ns !== namespace)
      .sort(),
    report,
    incomplete: [...incomplete].sort(),
    sources: new Map(t.dispositions.map((d) => [objectKey(d.source), d])),
  };
}

/** An object already in the input with the same spec was applied before: nothing to do. */
function planned(inventory: Inventory, object: KubeObject): PlannedApply[] {
  const existing = lookupKind(object.apiVersion, object.kind)
    ? inventory.get(
        kindKey(groupOf(object.apiVersion), object.kind) as KnownKindKey,
        object.metadata.namespace,
        object.metadata.name,
      )
    : undefined;
  if (existing && JSON.stringify(existing.spec) === JSON.stringify(object.spec)) return [];
  const source = object.metadata.annotations?.[SOURCE_ANNOTATION];
  return [
    {
      object,
      reason: source ? `translated from ${source}` : "made by the translation",
      created: existing === undefined,
    },
  ];
}
