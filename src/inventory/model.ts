// The inventory: one snapshot of a mesh, filled from files or from a live cluster, indexed by
// kind and namespace. Objects stay raw JSON (never typed models) so nothing a reader does not
// know about is dropped: backups and applies need every field.

import { groupOf, isBuiltIn, K, type KnownKindKey, kindKey, lookupKind } from "./kinds.js";
import { validateObject } from "./validate.js";

interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid?: string; controller?: boolean }[];
  creationTimestamp?: string;
  resourceVersion?: string;
  uid?: string;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  // biome-ignore lint/suspicious/noExplicitAny: raw Kubernetes JSON; checks narrow what they read
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: raw Kubernetes JSON
  status?: any;
  [field: string]: unknown;
}

/** Where an object came from, so that findings can point at a file and line. */
interface Origin {
  file: string;
  line: number;
}

/**
 * An object and where it was read, file and line held in the entry itself: one object less for
 * each of the 800,000 a 200 MB mesh has (26 MB).
 */
class InventoryEntry {
  private file: string | undefined;
  private line: number;

  constructor(
    public object: KubeObject,
    origin?: Origin,
  ) {
    this.file = origin?.file;
    this.line = origin?.line ?? 0;
  }

  get origin(): Origin | undefined {
    return this.file === undefined ? undefined : { file: this.file, line: this.line };
  }

  set origin(origin: Origin | undefined) {
    this.file = origin?.file;
    this.line = origin?.line ?? 0;
  }
}

/** One object defined twice in the files read: `Kind/namespace/name` and both places. */
export interface Redefinition {
  ref: string;
  first: Origin;
  again: Origin;
}

/** An object that failed its kind's schema: kept apart, never translated nor deleted. */
export interface InvalidEntry {
  object: KubeObject;
  origin?: Origin;
  /** `path: expected ...` for each problem found. */
  problems: { path: string; expected: string }[];
}

type InventorySource = { type: "files"; paths: string[] } | { type: "cluster"; context: string };

export class Inventory {
  private readonly byKind = new Map<string, InventoryEntry[]>();
  /**
   * Kind, then namespace: checks and plans ask inNamespace() for every namespace and kind, and a
   * joined "kind\0namespace" key built for each question was a measurable part of a large plan.
   */
  private readonly byKindNs = new Map<string, Map<string, InventoryEntry[]>>();
  /** Objects of kinds the migration does not read, counted by "Kind.group". */
  readonly skipped = new Map<string, number>();
  private readonly firstByName = new Map<string, Map<string, KubeObject>>();
  /** originOf's index of a large bucket, by the bucket; add() clears it. */
  private readonly originIndex = new Map<readonly InventoryEntry[], Map<KubeObject, InventoryEntry>>();
  /** Objects that failed their schema (see validate.ts), in reading order. */
  readonly invalid: InvalidEntry[] = [];
  /** Objects read from files that were defined again later: the later definition replaced it. */
  readonly redefined: Redefinition[] = [];
  /** namespaceNames()'s answer, kept until an object is added (asked several times per command). */
  private names: readonly string[] | undefined;

  constructor(readonly source: InventorySource) {}

  /** Adds an object; returns false (and counts it) when its kind is not one the migration reads. */
  add(object: KubeObject, origin?: Origin): boolean {
    const info = lookupKind(object.apiVersion, object.kind);
    const key = kindKey(groupOf(object.apiVersion), object.kind);
    if (!info) {
      this.skipped.set(key, (this.skipped.get(key) ?? 0) + 1);
      return false;
    }
    this.firstByName.delete(key);
    this.names = undefined;
    // Map.clear() makes a new table even when empty: a measurable part of reading 45,000 objects.
    if (this.originIndex.size > 0) this.originIndex.clear();
    const entry = new InventoryEntry(object, origin);
    push(this.byKind, key, entry);
    if (info.namespaced) {
      let byNs = this.byKindNs.get(key);
      if (!byNs) {
        byNs = new Map();
        this.byKindNs.set(key, byNs);
      }
      push(byNs, object.metadata.namespace ?? "", entry);
    }
    return true;
  }

  /**
   * After reading files: an object defined twice keeps its first place with the later
   * definition, as kubectl apply -f leaves it (it applies both in turn), and is recorded in
   * `redefined`. One pass per kind and namespace with a set of that bucket's names only, so
   * that reading 200 MB of manifests holds no index of every object.
   */
  mergeRedefinitions(): void {
    for (const [key, entries] of this.byKind) {
      const byNs = this.byKindNs.get(key);
      const buckets = byNs ? [...byNs.values()] : [entries];
      const dropped = new Set<InventoryEntry>();
      for (const bucket of buckets) {
        const first = new Map<string, InventoryEntry>();
        for (const entry of bucket) {
          const earlier = first.get(entry.object.metadata.name);
          if (!earlier) first.set(entry.object.metadata.name, entry);
          else if (earlier.origin && entry.origin) {
            this.redefined.push({ ref: ref(entry.object), first: earlier.origin, again: entry.origin });
            earlier.object = entry.object;
            earlier.origin = entry.origin;
            dropped.add(entry);
          }
        }
      }
      if (dropped.size === 0) continue;
      this.firstByName.delete(key);
      this.names = undefined;
      this.originIndex.clear();
      this.byKind.set(
        key,
        entries.filter((e) => !dropped.has(e)),
      );
      for (const [ns, bucket] of byNs ?? [])
        byNs?.set(
          ns,
          bucket.filter((e) => !dropped.has(e)),
        );
    }
  }

  /** Keeps an object that failed its schema apart from those the migration reasons about. */
  addInvalid(entry: InvalidEntry): void {
    this.invalid.push(entry);
    this.names = undefined;
  }

  list(kind: KnownKindKey): KubeObject[] {
    return (this.byKind.get(kind) ?? []).map((e) => e.object);
  }

  entries(kind: KnownKindKey): readonly InventoryEntry[] {
    return this.byKind.get(kind) ?? [];
  }

  inNamespace(kind: KnownKindKey, namespace: string): KubeObject[] {
    const entries = this.byKindNs.get(kind)?.get(namespace);
    return entries ? entries.map((e) => e.object) : [];
  }

  get(kind: KnownKindKey, namespace: string | undefined, name: string): KubeObject | undefined {
    if (namespace !== undefined)
      return this.byKindNs
        .get(kind)
        ?.get(namespace)
        ?.find((e) => e.object.metadata.name === name)?.object;
    // Performance: cluster-wide lookups (a Namespace for each of thousands of namespaces) were
    // a scan of the whole kind each; an index by name, first object first, rebuilt after add().
    let index = this.firstByName.get(kind);
    if (!index) {
      index = new Map();
      for (const { object } of this.entries(kind))
        if (!index.has(object.metadata.name)) index.set(object.metadata.name, object);
      this.firstByName.set(kind, index);
    }
    return index.get(name);
  }

  originOf(object: KubeObject): Origin | undefined {
    const key = kindKey(groupOf(object.apiVersion), object.kind);
    // Searched in the object's namespace only (a search of the whole kind, for each finding,
    // grew with the square of the mesh), and through an index only when that bucket is large: an
    // index of every object read held 80 MB of a 200 MB mesh's plan.
    const entries = this.byKindNs.get(key)?.get(object.metadata.namespace ?? "") ?? this.byKind.get(key);
    if (!entries) return undefined;
    if (entries.length <= SCANNED_BUCKET) return entries.find((e) => e.object === object)?.origin;
    let index = this.originIndex.get(entries);
    if (!index) {
      index = new Map(entries.map((e) => [e.object, e]));
      this.originIndex.set(entries, index);
    }
    return index.get(object)?.origin;
  }

  namespaceObject(name: string): KubeObject | undefined {
    return this.get(K.Namespace, undefined, name);
  }

  /**
   * Every namespace the inventory knows of: those with a Namespace object and those that
   * only appear as the namespace of some object (their labels are then unknown).
   */
  namespaceNames(): string[] {
    if (!this.names) {
      const names = new Set(this.list(K.Namespace).map((n) => n.metadata.name));
      for (const byNs of this.byKindNs.values()) {
        for (const [namespace, entries] of byNs) if (entries.length > 0) names.add(namespace);
      }
      for (const { object } of this.invalid) names.add(invalidNamespace(object));
      names.delete("");
      this.names = [...names].sort();
    }
    return [...this.names];
  }

  count(): number {
    let n = 0;
    for (const entries of this.byKind.values()) n += entries.length;
    return n;
  }

  countsByKind(): Record<string, number> {
    return Object.fromEntries([...this.byKind].map(([key, entries]) => [key, entries.length]));
  }
}

/** Buckets up to this size are searched for an object's origin; larger ones are indexed. */
const SCANNED_BUCKET = 32;

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function labelsOf(object: KubeObject | undefined): Record<string, string> {
  return object?.metadata.labels ?? {};
}

export function annotationsOf(object: KubeObject | undefined): Record<string, string> {
  return object?.metadata.annotations ?? {};
}

export function ref(object: KubeObject): string {
  const ns = object.metadata.namespace ? `${object.metadata.namespace}/` : "";
  return `${object.kind}/${ns}${object.metadata.name}`;
}

/**
 * Orders strings by code point, as Array.prototype.sort does. localeCompare would load ICU's
 * collator on first use (about 40 ms of start-up) and compare far slower, for names that are
 * ASCII anyway.
 */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The namespace an invalid object belongs to (a Namespace: itself), as text whatever its type. */
export function invalidNamespace(object: KubeObject): string {
  const meta = (typeof object.metadata === "object" && object.metadata) || ({} as ObjectMeta);
  if (object.kind === "Namespace" && object.apiVersion === "v1") return String(meta.name ?? "");
  return meta.namespace === undefined ? "" : String(meta.namespace);
}

/**
 * Adds an object an apiserver served: one of a kind Kubernetes itself defines (Pod, Service,
 * Deployment...) was decoded into the apiserver's own Go types, so it cannot have another shape
 * than the schema, and is not checked again (at 1,000 namespaces two thirds of the objects read).
 * Custom resources are checked: the CRD installed may be older or looser than the schema the
 * tool knows.
 */
export function addServed(inventory: Inventory, object: KubeObject): void {
  if (isBuiltIn(groupOf(object.apiVersion))) inventory.add(object);
  else addChecked(inventory, object);
}

/** Adds an object of a kind the migration reads after checking it against its schema. */
export function addChecked(inventory: Inventory, object: KubeObject, origin?: Origin): void {
  if (!lookupKind(object.apiVersion, object.kind)) {
    inventory.add(object, origin);
    return;
  }
  const problems = validateObject(object);
  if (problems.length === 0) inventory.add(object, origin);
  else inventory.addInvalid(origin ? { object, origin, problems } : { object, problems });
}
