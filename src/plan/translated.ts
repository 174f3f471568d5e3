// The translated configuration as the plan uses it: what step 1 applies first, what step 4 applies
// last (bypass DENY), which sources step 5 may delete, and whether the namespace must wait because
// some source cannot be translated faithfully. The translator decides; this only places its output.

import type { NamespaceContext } from "../assess/context.js";
import { serviceOfHost, subsetsUsedBy } from "../assess/routing.js";
import { type ObjectRef, objectKey, refOf } from "../inventory/identity.js";
import { groupOf, K, type KnownKindKey, kindKey, lookupKind } from "../inventory/kinds.js";
import type { Inventory, KubeObject } from "../inventory/model.js";
import { isWaypoint } from "../mesh/waypoint.js";
import { type ReportEntry, type Translation, translate } from "../translate/index.js";
import { SOURCE_ANNOTATION } from "../translate/meta.js";
import type { Disposition } from "./model.js";
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
  /** The translator made a waypoint for this namespace: why (its `needed-by` annotation). */
  waypointWanted?: string;
  /** Other namespaces whose waypoint the translated objects use. */
  waypointsElsewhere: string[];
  /** Error and warning entries. */
  report: ReportEntry[];
  /** `Kind/namespace/name` of the sources with error entries. */
  incomplete: string[];
  /** The sources the translation fully replaces, by `objectKey`. */
  replaces: Map<string, ObjectRef>;
}

/**
 * Translates the namespaces together (the translator indexes the inventory once per call) and
 * splits the result by namespace: each object, report entry and source belongs to one.
 */
export function translateForPlan(
  inventory: Inventory,
  namespaces: readonly string[],
  options: PlanOptions,
): (namespace: string) => TranslatedConfig {
  const all = translate(inventory, namespaces, options);
  const parts = new Map<string, Translation>();
  const part = (namespace: string): Translation => {
    const found = parts.get(namespace);
    if (found) return found;
    const fresh: Translation = { objects: [], afterRestart: [], replaces: [], report: [] };
    parts.set(namespace, fresh);
    return fresh;
  };
  for (const o of all.objects) {
    // A waypoint belongs to the plan of the namespace whose source needs it (it may live elsewhere).
    const neededBy = isWaypoint(o) ? o.metadata.annotations?.[NEEDED_BY]?.split("/")[1] : undefined;
    part(neededBy ?? o.metadata.namespace ?? "").objects.push(o);
  }
  for (const o of all.afterRestart) part(o.metadata.namespace ?? "").afterRestart.push(o);
  for (const o of all.replaces) part(o.metadata.namespace ?? "").replaces.push(o);
  for (const e of all.report) part(e.source.namespace).report.push(e);
  return (namespace) => translatedConfig(inventory, namespace, part(namespace));
}

const NEEDED_BY = "ambient-migrate/needed-by";

function translatedConfig(inventory: Inventory, namespace: string, t: Translation): TranslatedConfig {
  const waypoints = t.objects.filter((o) => o.kind === "Gateway" && isWaypoint(o));
  const report = t.report.filter((e) => e.level !== "info");
  const incomplete = new Set(
    report
      .filter((e) => e.level === "error")
      .map((e) => `${e.source.kind}/${e.source.namespace}/${e.source.name}`),
  );
  const waypointWanted = waypoints.find((w) => w.metadata.namespace === namespace)?.metadata.annotations?.[
    NEEDED_BY
  ];
  return {
    beforeStep1: t.objects.filter((o) => !waypoints.includes(o)).flatMap((o) => planned(inventory, o)),
    afterRestart: t.afterRestart.flatMap((o) => planned(inventory, o)),
    ...(waypointWanted ? { waypointWanted } : {}),
    waypointsElsewhere: waypoints
      .map((w) => w.metadata.namespace ?? "")
      .filter((ns) => ns !== namespace)
      .sort(),
    report,
    incomplete: [...incomplete].sort(),
    replaces: new Map(t.replaces.map((o) => [objectKey(o), refOf(o)])),
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

export const TRANSLATION_INCOMPLETE = "translation incomplete: see translate report";

/**
 * Step 5 deletes only what the translation fully replaced. The assessment's keep decisions still
 * win (an object other kept objects use, or one an ingress gateway still needs).
 */
export function reconcileStep5(
  ctx: NamespaceContext,
  dispositions: { delete: Disposition[]; keep: Disposition[] },
  translated: TranslatedConfig,
): { delete: Disposition[]; keep: Disposition[] } {
  const incomplete = new Set(translated.incomplete);
  const kept = new Set(dispositions.keep.map((d) => objectKey(d.ref)));
  const out = { delete: [] as Disposition[], keep: [...dispositions.keep] };
  const subsetUsers = subsetsOfKeptVirtualServices(ctx, translated);
  for (const d of dispositions.delete) {
    const users = d.ref.kind === "DestinationRule" ? subsetUsers(d.ref.name) : [];
    if (users.length > 0)
      out.keep.push({ ref: d.ref, reason: `its subsets are used by ${users.join(", ")}, kept` });
    else if (translated.replaces.has(objectKey(d.ref))) out.delete.push(d);
    else
      out.keep.push({
        ref: d.ref,
        reason: incomplete.has(`${d.ref.kind}/${d.ref.namespace ?? ""}/${d.ref.name}`)
          ? TRANSLATION_INCOMPLETE
          : "not replaced by the translation: see translate report",
      });
  }
  const listed = new Set([...out.delete, ...out.keep].map((d) => objectKey(d.ref)));
  for (const [id, ref] of translated.replaces) {
    if (listed.has(id) || kept.has(id)) continue;
    out.delete.push({ ref, reason: "replaced by the translated objects applied in step 1" });
  }
  return out;
}

/** For a DestinationRule's name: the VirtualServices that stay (not replaced) and use its subsets. */
function subsetsOfKeptVirtualServices(
  ctx: NamespaceContext,
  translated: TranslatedConfig,
): (ruleName: string) => string[] {
  const users = new Map<string, Set<string>>();
  for (const vs of ctx.list(K.VirtualService)) {
    if (translated.replaces.has(objectKey(vs))) continue;
    for (const subset of subsetsUsedBy(vs)) {
      const service = subset.slice(0, subset.lastIndexOf("/"));
      users.set(service, (users.get(service) ?? new Set()).add(`VirtualService/${vs.metadata.name}`));
    }
  }
  return (ruleName) => {
    const rule = ctx.list(K.DestinationRule).find((r) => r.metadata.name === ruleName);
    const svc = rule ? serviceOfHost(String(rule.spec?.host ?? ""), ctx.namespace) : undefined;
    return svc ? [...(users.get(`${svc.namespace}/${svc.name}`) ?? [])].sort() : [];
  };
}
