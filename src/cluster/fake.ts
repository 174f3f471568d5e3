// An in-memory cluster behind the same port, for unit tests of code that reads and changes a
// cluster (inventory, backup, the migration run). It keeps resourceVersions, honours dry runs
// and delete preconditions, pages lists, streams watch events, and can be told to refuse a
// verb the way RBAC would, so callers' error paths are tested too.

import { ExitCode } from "../errors.js";
import { describeRef, type ObjectRef } from "../inventory/identity.js";
import { groupOf, type KindInfo, kindKey, lookupKind } from "../inventory/kinds.js";
import type { KubeObject } from "../inventory/model.js";
import { parseSelector } from "../inventory/selector.js";
import { waitOnWatch } from "./client.js";
import { ClusterRequestError, httpError, type RequestDescription } from "./errors.js";
import {
  type ApplyOptions,
  apiVersionOf,
  type ClusterPort,
  type DeleteOptions,
  type DryRunOption,
  type LabelValues,
  type ListOptions,
  type ListResult,
  type PatchLabelsResult,
  type PortForwardResult,
  podTemplatePath,
  RESTARTED_AT,
  restartedAtValue,
  type ServerVersion,
  type TemplateMetadataField,
  templateMetadataOf,
  type WaitOptions,
  type WaitResult,
  type WatchEvent,
  type WatchOptions,
} from "./port.js";

interface FakeCall {
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
  dryRun?: boolean;
}

type Listener = { kind: string; namespace: string | undefined; onEvent: (e: WatchEvent) => void };

const clone = <T>(value: T): T => structuredClone(value);

function resourceKeyOf(apiVersion: string, kind: string): string {
  return kindKey(groupOf(apiVersion), kind);
}

function infoFor(apiVersion: string, kind: string): { plural: string; group: string } {
  const known = lookupKind(apiVersion, kind);
  return { plural: known?.plural ?? `${kind.toLowerCase()}s`, group: groupOf(apiVersion) };
}

/** A JSON merge patch of a string map: null removes a key. Returns the values before, too. */
function mergeValues(
  current: Record<string, string>,
  values: LabelValues,
): { previous: LabelValues; next: Record<string, string> } {
  const previous: LabelValues = Object.fromEntries(Object.keys(values).map((k) => [k, current[k] ?? null]));
  const next = { ...current };
  for (const [k, v] of Object.entries(values)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return { previous, next };
}

export class FakeClusterPort implements ClusterPort {
  readonly context = "fake";
  readonly server = "https://fake.invalid";
  readonly calls: FakeCall[] = [];
  /** Page size of list(); small values exercise pagination. */
  pageSize = 500;
  version: ServerVersion = { major: "1", minor: "36", gitVersion: "v1.36.3" };
  /** Resources reported absent by discovery, as "plural.group". */
  readonly missing = new Set<string>();
  private readonly objects = new Map<string, KubeObject>();
  private readonly refusals = new Set<string>();
  private readonly http = new Map<string, { status: number; body: string }>();
  private readonly listeners = new Set<Listener>();
  private revision = 1;

  constructor(objects: KubeObject[] = []) {
    for (const o of objects) this.put(o);
  }

  private key(apiVersion: string, kind: string, namespace: string | undefined, name: string): string {
    return `${resourceKeyOf(apiVersion, kind)}\0${namespace ?? ""}\0${name}`;
  }

  /** Stores an object as the apiserver would (new resourceVersion, uid) and notifies watches. */
  put(object: KubeObject): KubeObject {
    const k = this.key(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name);
    const existed = this.objects.has(k);
    const stored = clone(object);
    stored.metadata.resourceVersion = String(++this.revision);
    stored.metadata.uid ??= `uid-${this.revision}`;
    stored.metadata.creationTimestamp ??= "2026-11-01T00:00:00Z";
    this.objects.set(k, stored);
    this.emit(existed ? "MODIFIED" : "ADDED", stored);
    return clone(stored);
  }

  /** Makes the given verb on a resource ("patch", "namespaces") answer 403. */
  refuse(verb: string, plural: string): void {
    this.refusals.add(`${verb} ${plural}`);
  }

  /** What portForwardGet returns for this pod, port and path. */
  serve(
    pod: { namespace: string; name: string },
    port: number,
    path: string,
    body: string,
    status = 200,
  ): void {
    this.http.set(`${pod.namespace}/${pod.name}:${port}${path}`, { status, body });
  }

  all(): KubeObject[] {
    return [...this.objects.values()].map(clone);
  }

  private emit(type: "ADDED" | "MODIFIED" | "DELETED", object: KubeObject): void {
    for (const l of this.listeners) {
      if (l.kind !== resourceKeyOf(object.apiVersion, object.kind)) continue;
      if (l.namespace !== undefined && l.namespace !== object.metadata.namespace) continue;
      l.onEvent({ type, object: clone(object) });
    }
  }

  private record(call: FakeCall, group: string): void {
    this.calls.push(call);
    if (this.refusals.has(`${call.verb} ${call.resource}`)) {
      const req: RequestDescription = { verb: call.verb, group, resource: call.resource };
      if (call.namespace) req.namespace = call.namespace;
      throw httpError(
        403,
        JSON.stringify({
          kind: "Status",
          message: `${call.resource} is forbidden: User "fake" cannot ${call.verb} resource "${call.resource}" (fake RBAC)`,
        }),
        req,
      );
    }
  }

  private callFor(verb: string, ref: ObjectRef, options?: DryRunOption): FakeCall {
    const call: FakeCall = { verb, resource: infoFor(ref.apiVersion, ref.kind).plural, name: ref.name };
    if (ref.namespace) call.namespace = ref.namespace;
    if (options?.dryRun) call.dryRun = true;
    return call;
  }

  private matching(kind: KindInfo, namespace: string | undefined): KubeObject[] {
    const prefix = `${kindKey(kind.group, kind.kind)}\0`;
    return [...this.objects.entries()]
      .filter(
        ([k, o]) => k.startsWith(prefix) && (namespace === undefined || o.metadata.namespace === namespace),
      )
      .map(([, o]) => o)
      .sort((a, b) =>
        `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace}/${b.metadata.name}`,
        ),
      );
  }

  async list(kind: KindInfo, namespace?: string, options: ListOptions = {}): Promise<ListResult> {
    const selected = options.labelSelector ? parseSelector(options.labelSelector) : () => true;
    const fields = options.fieldSelector ? metadataFieldSelector(options.fieldSelector) : () => true;
    const all = this.matching(kind, namespace).filter((o) => selected(o.metadata.labels ?? {}) && fields(o));
    const pageSize = options.limit ?? this.pageSize;
    const items: KubeObject[] = [];
    for (let offset = 0; offset === 0 || offset < all.length; offset += pageSize) {
      const call: FakeCall = { verb: "list", resource: kind.plural };
      if (namespace) call.namespace = namespace;
      this.record(call, kind.group);
      items.push(
        ...all.slice(offset, offset + pageSize).map((o) => ({ ...clone(o), apiVersion: apiVersionOf(kind) })),
      );
      options.onPage?.(items.length);
      if (all.length === 0) break;
    }
    return { items, resourceVersion: String(this.revision) };
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    this.record(this.callFor("get", ref), groupOf(ref.apiVersion));
    const found = this.objects.get(this.key(ref.apiVersion, ref.kind, ref.namespace, ref.name));
    return found ? clone(found) : undefined;
  }

  private existing(ref: ObjectRef): KubeObject {
    const found = this.objects.get(this.key(ref.apiVersion, ref.kind, ref.namespace, ref.name));
    if (!found) {
      throw httpError(404, JSON.stringify({ message: `${describeRef(ref)} not found` }), {
        verb: "get",
        group: groupOf(ref.apiVersion),
        resource: infoFor(ref.apiVersion, ref.kind).plural,
      });
    }
    return clone(found);
  }

  async patchLabels(ref: ObjectRef, labels: LabelValues, options?: DryRunOption): Promise<PatchLabelsResult> {
    this.record(this.callFor("patch", ref, options), groupOf(ref.apiVersion));
    const object = this.existing(ref);
    const { previous, next } = mergeValues(object.metadata.labels ?? {}, labels);
    object.metadata.labels = next;
    return { previous, object: options?.dryRun ? object : this.put(object) };
  }

  async patchTemplateMetadata(
    ref: ObjectRef,
    field: TemplateMetadataField,
    values: LabelValues,
    options?: DryRunOption,
  ): Promise<PatchLabelsResult> {
    this.record(this.callFor("patch", ref, options), groupOf(ref.apiVersion));
    const object = this.existing(ref);
    const { previous, next } = mergeValues(templateMetadataOf(object, field), values);
    // biome-ignore lint/suspicious/noExplicitAny: raw JSON walk
    let node: any = object;
    for (const key of podTemplatePath(object.kind)) node = node[key] ??= {};
    node.metadata ??= {};
    node.metadata[field] = next;
    return { previous, object: options?.dryRun ? object : this.put(object) };
  }

  async apply(object: KubeObject, options: ApplyOptions = {}): Promise<KubeObject> {
    const ref: ObjectRef = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name };
    if (object.metadata.namespace) ref.namespace = object.metadata.namespace;
    this.record(this.callFor("patch", ref, options), groupOf(ref.apiVersion));
    const found = this.objects.get(this.key(ref.apiVersion, ref.kind, ref.namespace, ref.name));
    // Server-side apply merges the fields given over the stored object; enough for tests.
    const merged = found
      ? { ...clone(found), ...clone(object), metadata: { ...found.metadata, ...object.metadata } }
      : clone(object);
    return options.dryRun ? merged : this.put(merged);
  }

  async create(object: KubeObject, options: DryRunOption = {}): Promise<KubeObject> {
    const created = clone(object);
    created.metadata.name ||= `${created.metadata.generateName ?? "object-"}${this.revision + 1}`;
    const ref: ObjectRef = {
      apiVersion: created.apiVersion,
      kind: created.kind,
      name: created.metadata.name,
    };
    if (created.metadata.namespace) ref.namespace = created.metadata.namespace;
    this.record(this.callFor("create", ref, options), groupOf(ref.apiVersion));
    if (this.objects.has(this.key(ref.apiVersion, ref.kind, ref.namespace, ref.name)))
      throw httpError(
        409,
        JSON.stringify({ message: `${describeRef(ref)} already exists`, reason: "AlreadyExists" }),
        {
          verb: "create",
          group: groupOf(ref.apiVersion),
          resource: infoFor(ref.apiVersion, ref.kind).plural,
        },
      );
    return options.dryRun ? created : this.put(created);
  }

  async delete(ref: ObjectRef, options: DeleteOptions = {}): Promise<boolean> {
    this.record(this.callFor("delete", ref, options), groupOf(ref.apiVersion));
    const k = this.key(ref.apiVersion, ref.kind, ref.namespace, ref.name);
    const found = this.objects.get(k);
    if (!found) return false;
    if (options.resourceVersion && options.resourceVersion !== found.metadata.resourceVersion) {
      throw new ClusterRequestError(
        `${describeRef(ref)} changed since it was read (resourceVersion ${found.metadata.resourceVersion}, expected ${options.resourceVersion})`,
        ExitCode.conflict,
        undefined,
        [],
        409,
        "Conflict",
      );
    }
    if (!options.dryRun) {
      this.objects.delete(k);
      this.emit("DELETED", found);
    }
    return true;
  }

  async restart(ref: ObjectRef, options: DryRunOption & { at?: Date } = {}): Promise<KubeObject> {
    this.record(this.callFor("patch", ref, options), groupOf(ref.apiVersion));
    const object = this.existing(ref);
    object.spec ??= {};
    object.spec.template ??= {};
    object.spec.template.metadata ??= {};
    object.spec.template.metadata.annotations = {
      ...(object.spec.template.metadata.annotations ?? {}),
      [RESTARTED_AT]: restartedAtValue(options.at),
    };
    return options.dryRun ? object : this.put(object);
  }

  watch(
    kind: KindInfo,
    namespace: string | undefined,
    onEvent: (event: WatchEvent) => void,
    options: WatchOptions = {},
  ): Promise<void> {
    const call: FakeCall = { verb: "watch", resource: kind.plural };
    if (namespace) call.namespace = namespace;
    this.record(call, kind.group);
    if (!options.resourceVersion)
      onEvent({ type: "RELISTED", objects: this.matching(kind, namespace).map(clone) });
    const listener: Listener = { kind: kindKey(kind.group, kind.kind), namespace, onEvent };
    this.listeners.add(listener);
    return new Promise((resolve) => {
      const done = () => {
        this.listeners.delete(listener);
        resolve();
      };
      if (options.signal?.aborted) done();
      else options.signal?.addEventListener("abort", done, { once: true });
    });
  }

  waitFor(
    kind: KindInfo,
    namespace: string | undefined,
    predicate: (objects: KubeObject[]) => boolean,
    options: WaitOptions,
  ): Promise<WaitResult> {
    return waitOnWatch(this, kind, namespace, predicate, options);
  }

  async portForwardGet(
    pod: { namespace: string; name: string },
    port: number,
    path: string,
  ): Promise<PortForwardResult> {
    this.record(
      { verb: "create", resource: "pods/portforward", namespace: pod.namespace, name: pod.name },
      "",
    );
    const served = this.http.get(`${pod.namespace}/${pod.name}:${port}${path}`);
    if (!served) throw new Error(`fake: nothing served at ${pod.namespace}/${pod.name}:${port}${path}`);
    return { ...served, via: "port-forward" };
  }

  async serverVersion(): Promise<ServerVersion> {
    return this.version;
  }

  async hasResource(group: string, _version: string, plural: string): Promise<boolean> {
    this.record({ verb: "get", resource: "discovery" }, group);
    return !this.missing.has(group ? `${plural}.${group}` : plural);
  }
}

/**
 * The field selectors every kind supports on a real apiserver: `metadata.name` and
 * `metadata.namespace` with =, == or !=, comma-separated (all must hold). Others throw: the fake
 * does not pretend to evaluate what it cannot.
 */
function metadataFieldSelector(selector: string): (o: KubeObject) => boolean {
  const terms = selector.split(",").map((term) => {
    const m = /^(metadata\.name|metadata\.namespace)(==|!=|=)(.*)$/.exec(term.trim());
    if (!m) throw new Error(`FakeClusterPort does not evaluate the field selector ${term}`);
    const [, field, op, value] = m;
    return (o: KubeObject) =>
      ((field === "metadata.name" ? o.metadata.name : (o.metadata.namespace ?? "")) === value) ===
      (op !== "!=");
  });
  return (o) => terms.every((t) => t(o));
}
