// translate: sidecar-era routing and policy (VirtualService, DestinationRule subsets,
// selector-based AuthorizationPolicy / RequestAuthentication / WasmPlugin) -> ambient-era
// objects (HTTPRoute, subset Services, targetRefs policies, waypoints), with a report that
// names every field carried over, approximated or lost. Pure: no I/O.

import { type ObjectRef, objectKey, refOf } from "../inventory/identity.js";
import { K } from "../inventory/kinds.js";
import { type Inventory, invalidNamespace, type KubeObject } from "../inventory/model.js";
import { rootNamespaceOf } from "../mesh/mesh-config.js";
import { waypointGateway } from "../mesh/waypoint.js";
import { someOf } from "../text.js";
import { SOURCE_ANNOTATION, sourceName } from "./meta.js";
import { translatePolicy } from "./policies.js";
import { newReport, type ReportEntry } from "./report.js";
import { translateDestinationRule } from "./subsets.js";
import { translateVirtualService } from "./virtual-service.js";
import { existingWaypoint } from "./waypoints.js";

export type { ReportEntry } from "./report.js";
export { hasErrors } from "./report.js";

export interface TranslateOptions {
  /** Also write the waypoint-bypass DENY policies (see docs/translation-report.md). */
  bypassDeny?: boolean;
  /** Istio's root namespace, whose policies apply mesh-wide (default: the mesh config's). */
  rootNamespace?: string;
  /** Keep the report's info entries (default); a plan, which shows only problems, does not. */
  infos?: boolean;
}

export interface Translation {
  /** Objects to apply, in a safe order: waypoints, Services, DestinationRules, routes, policies. */
  objects: KubeObject[];
  /** Objects to apply only after step 4 (restart): the waypoint-bypass DENY policies. */
  afterRestart: KubeObject[];
  /** Source objects the output replaces: step 5 deletes them. Sources with errors are never listed. */
  replaces: KubeObject[];
  /** One per source object translated, in the order of `replaces`: what became of it. */
  dispositions: TranslationDisposition[];
  /** The waypoints the output attaches to that do not exist yet (their Gateway is in `objects`). */
  waypoints: WaypointNeed[];
  report: ReportEntry[];
}

/**
 * What became of one source object: replaced by the objects named (`Kind/namespace/name`), or not,
 * with the fields the translation could not carry over (`lost`, from its error entries).
 */
export type TranslationDisposition =
  | { source: ObjectRef; outcome: "replaced"; by: string[] }
  | { source: ObjectRef; outcome: "lost"; lost: string[] }
  | { source: ObjectRef; outcome: "not-replaced" };

/** A waypoint the translated objects need in `namespace`: `neededBy` is the first source (`Kind/namespace/name`). */
interface WaypointNeed {
  namespace: string;
  neededBy: string;
}

const APPLY_ORDER = [
  "Gateway",
  "Service",
  "DestinationRule",
  "HTTPRoute",
  "AuthorizationPolicy",
  "RequestAuthentication",
  "WasmPlugin",
];

export function translate(
  inventory: Inventory,
  namespaces: readonly string[],
  options: TranslateOptions = {},
): Translation {
  const report = newReport(options.infos ?? true);
  const objects: KubeObject[] = [];
  const replaces: KubeObject[] = [];
  const afterRestart: KubeObject[] = [];
  const sources: { source: KubeObject; replaced: boolean }[] = [];
  const policyOptions = { ...options, rootNamespace: rootNamespaceOf(inventory, options.rootNamespace) };
  const needWaypoint = new Map<string, string>();
  const wantWaypoint = (ns: string, why: KubeObject) => {
    if (!needWaypoint.has(ns)) needWaypoint.set(ns, sourceName(why));
  };
  reportInvalid(inventory, namespaces, report);
  for (const namespace of [...namespaces].sort()) {
    for (const rule of sorted(inventory.inNamespace(K.DestinationRule, namespace))) {
      const t = translateDestinationRule(inventory, rule, report);
      objects.push(...t.objects);
      sources.push({ source: rule, replaced: t.replaced });
      if (t.replaced) replaces.push(rule);
    }
    for (const vs of sorted(inventory.inNamespace(K.VirtualService, namespace))) {
      const t = translateVirtualService(inventory, vs, report);
      objects.push(...t.routes);
      sources.push({ source: vs, replaced: t.replaced });
      if (t.replaced) replaces.push(vs);
      for (const ns of t.waypointNamespaces) wantWaypoint(ns, vs);
    }
    for (const kind of [K.AuthorizationPolicy, K.RequestAuthentication, K.WasmPlugin]) {
      for (const policy of sorted(inventory.inNamespace(kind, namespace))) {
        const t = translatePolicy(inventory, policy, report, policyOptions);
        objects.push(...t.objects);
        afterRestart.push(...t.afterRestart);
        sources.push({ source: policy, replaced: t.replaced });
        if (t.replaced) replaces.push(policy);
        if (t.waypointNamespace) wantWaypoint(t.waypointNamespace, policy);
      }
    }
  }
  reportSharedParents(objects, report);
  const waypoints = [...needWaypoint]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .filter(([namespace]) => !existingWaypoint(inventory, namespace))
    .map(([namespace, neededBy]) => ({ namespace, neededBy }));
  for (const w of waypoints) objects.push(waypointGateway(w.namespace, undefined, w.neededBy));
  const written = orderForApply(dedupe(objects, report));
  return {
    objects: written,
    afterRestart,
    replaces,
    dispositions: dispositionsOf(sources, [...written, ...afterRestart], report),
    waypoints,
    report,
  };
}

function dispositionsOf(
  sources: readonly { source: KubeObject; replaced: boolean }[],
  written: readonly KubeObject[],
  report: readonly ReportEntry[],
): TranslationDisposition[] {
  const made = new Map<string, string[]>();
  for (const o of written) {
    const from = o.metadata.annotations?.[SOURCE_ANNOTATION];
    if (from) made.set(from, [...(made.get(from) ?? []), sourceName(o)]);
  }
  const lost = new Map<string, string[]>();
  for (const e of report.filter((e) => e.level === "error")) {
    const from = `${e.source.kind}/${e.source.namespace}/${e.source.name}`;
    lost.set(from, [...(lost.get(from) ?? []), e.field]);
  }
  return sources.map(({ source, replaced }): TranslationDisposition => {
    const name = sourceName(source);
    const errors = lost.get(name);
    const ref = refOf(source);
    if (replaced) return { source: ref, outcome: "replaced", by: made.get(name) ?? [] };
    if (errors) return { source: ref, outcome: "lost", lost: errors };
    return { source: ref, outcome: "not-replaced" };
  });
}

const TRANSLATED_KINDS = new Set([
  "VirtualService",
  "DestinationRule",
  "AuthorizationPolicy",
  "RequestAuthentication",
  "WasmPlugin",
]);

/** Sources that failed their schema are not translated (nor deleted): one error per problem. */
function reportInvalid(inventory: Inventory, namespaces: readonly string[], report: ReportEntry[]): void {
  const selected = new Set(namespaces);
  for (const { object, problems } of inventory.invalid) {
    const namespace = invalidNamespace(object);
    if (!selected.has(namespace) || !TRANSLATED_KINDS.has(object.kind)) continue;
    for (const p of problems)
      report.push({
        source: { kind: object.kind, namespace, name: String(object.metadata?.name ?? "") },
        level: "error",
        field: p.path,
        message: `does not match the ${object.kind} schema (expected ${p.expected}): not translated, never deleted`,
      });
  }
}

function sorted(objects: KubeObject[]): KubeObject[] {
  return [...objects].sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
  );
}

/** The same object made twice (two sources wanting one subset Service) is kept once; different content is an error. */
function dedupe(objects: KubeObject[], report: ReportEntry[]): KubeObject[] {
  const seen = new Map<string, KubeObject>();
  for (const o of objects) {
    const key = objectKey(o);
    const first = seen.get(key);
    if (!first) seen.set(key, o);
    else if (JSON.stringify(first.spec) !== JSON.stringify(o.spec)) {
      report.push({
        source: { kind: o.kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name },
        level: "error",
        field: "metadata.name",
        message: `two sources produce different ${o.kind} ${o.metadata.namespace}/${o.metadata.name}; only the first is written`,
      });
    }
  }
  return [...seen.values()];
}

function orderForApply(objects: KubeObject[]): KubeObject[] {
  const rank = (o: KubeObject) => {
    const i = APPLY_ORDER.indexOf(o.kind);
    return i < 0 ? APPLY_ORDER.length : i;
  };
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i)
    .map((x) => x.o);
}

/**
 * Two VirtualServices for one host: istiod used one of them for sidecars, while their
 * HTTPRoutes merge under precedence at the waypoint. Either way the result is not what
 * either source says alone.
 */
function reportSharedParents(objects: KubeObject[], report: ReportEntry[]): void {
  const sources = new Map<string, Set<string>>();
  for (const route of objects.filter((o) => o.kind === "HTTPRoute")) {
    const source = route.metadata.annotations?.[SOURCE_ANNOTATION] ?? route.metadata.name;
    for (const p of route.spec?.parentRefs ?? []) {
      const key = `${p.kind}/${p.namespace ?? route.metadata.namespace}/${p.name}`;
      sources.set(key, (sources.get(key) ?? new Set()).add(source));
    }
  }
  for (const [parent, names] of sources) {
    if (names.size < 2) continue;
    const together = `${names.size.toLocaleString("en-US")} sources (${someOf([...names], 3)})`;
    for (const name of names) {
      const [kind = "", namespace = "", objectName = ""] = name.split("/");
      report.push({
        source: { kind, namespace, name: objectName },
        level: "warning",
        field: "spec.hosts",
        message: `${together} all route ${parent}: their HTTPRoutes merge by precedence at the waypoint; merge them into one VirtualService first to keep one order`,
      });
    }
  }
}
