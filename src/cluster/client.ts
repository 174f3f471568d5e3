// The real cluster port: raw JSON over a Transport (client-node's authentication underneath).
// Every request knows its RBAC verb and resource, so a refusal names exactly what is missing.

import { isDeepStrictEqual } from "node:util";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { describeRef, type ObjectRef, refOf } from "../inventory/identity.js";
import { groupOf, type KindInfo, lookupKind } from "../inventory/kinds.js";
import type { KubeObject } from "../inventory/model.js";
import { FIELD_MANAGER } from "../ownership.js";
import {
  concurrentEdit,
  httpError,
  isApiserverStatus,
  isNetworkError,
  isStatus,
  networkError,
  type RequestDescription,
} from "./errors.js";
import { getRequest, parseResponse, responseComplete } from "./http1.js";
import { describeManager, foreignOwners, latestForeignWriter } from "./managed-fields.js";
import {
  type ApplyOptions,
  type ClusterPort,
  type DeleteOptions,
  type DryRunOption,
  type LabelValues,
  type ListOptions,
  type ListResult,
  type PatchLabelsResult,
  type PortForwardResult,
  RESTARTED_AT,
  restartedAtValue,
  type ServerVersion,
  type TemplateMetadataField,
  templateMetadataOf,
  templateMetadataPatch,
  type WaitOptions,
  type WaitResult,
  type WatchEvent,
  type WatchOptions,
  withTypeMeta,
} from "./port.js";
import { DEFAULT_RETRY, pause, type RetryPolicy, retryableStatus, retryDelay } from "./retry.js";
import type { HttpRequest, Transport } from "./transport.js";
import { type RawWatchEvent, runWatch } from "./watch.js";

const DEFAULT_PAGE_SIZE = 500;
const PORT_FORWARD_TIMEOUT_MS = 20_000;

interface Resource {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

interface APIResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

// Aggregated discovery (Kubernetes 1.30+): every group, version and resource in one answer to
// GET /apis, instead of one request per group-version. Older servers answer a plain APIGroupList.
const AGGREGATED_DISCOVERY =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";

interface APIGroupDiscoveryList {
  kind?: string;
  items?: {
    metadata?: { name?: string };
    versions?: {
      version: string;
      resources?: { resource: string; responseKind?: { kind?: string }; scope?: string }[];
    }[];
  }[];
}

/** The bookmark that ends the initial objects of a watch with sendInitialEvents. */
const INITIAL_EVENTS_END = "k8s.io/initial-events-end";

function resourcePath(r: Resource, namespace?: string, name?: string, subresource?: string): string {
  let path = r.group === "" ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  if (r.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${r.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

const dryRunQuery = (o?: DryRunOption) => (o?.dryRun ? { dryRun: "All" } : {});

export class ApiClusterPort implements ClusterPort {
  readonly context: string;
  readonly server: string;
  private readonly discovery = new Map<string, Promise<APIResourceList | undefined>>();
  /** Whether the apiserver has answered once: after that, a refused connection is a restart. */
  private answered = false;
  private readonly retry: RetryPolicy;
  private aggregated: Promise<Map<string, APIResourceList> | undefined> | undefined;
  /** Set once aggregated discovery answered: the server is 1.30+, and knows sendInitialEvents. */
  private watchListServer = false;
  /** Resources whose watch-list the server refused (e.g. RBAC grants list but not watch). */
  private readonly noWatchList = new Set<string>();

  constructor(
    private readonly transport: Transport,
    /** Notes for stderr (fallbacks, retries). */
    private readonly note: (message: string) => void = () => {},
    retry: Partial<RetryPolicy> = {},
  ) {
    this.context = transport.context;
    this.server = transport.server;
    this.retry = { ...DEFAULT_RETRY, ...retry };
  }

  /**
   * One request, retried with backoff while the apiserver restarts or is overloaded (see
   * retry.ts); network failures and error statuses become AmbientMigrateErrors. Every mutating
   * request of the tool is safe to repeat: server-side apply, patches under a resourceVersion
   * precondition (a repeat that landed answers 409, which the caller re-reads), deletes (404).
   */
  private async call(req: HttpRequest, what: RequestDescription): Promise<unknown> {
    const started = Date.now();
    let response: Awaited<ReturnType<Transport["request"]>>;
    for (let attempt = 1; ; attempt++) {
      let failure: Error;
      let why: string;
      try {
        response = await this.transport.request(req);
        this.answered = true;
        if (response.status < 400) break;
        failure = httpError(response.status, response.text, what);
        if (!retryableStatus(response.status, response.text)) throw failure;
        why = `answered ${response.status}`;
      } catch (err) {
        if (req.signal?.aborted || !isNetworkError(err)) throw err;
        failure = networkError(err, this);
        if (!this.answered) throw failure;
        why = "did not answer";
      }
      const delay = retryDelay(this.retry, attempt, started);
      if (delay === undefined) throw failure;
      this.note(
        `the apiserver ${why} (${what.verb} ${what.resource}${what.name ? ` ${what.name}` : ""}): retrying in ${(delay / 1000).toFixed(1)}s`,
      );
      await pause(delay, req.signal);
    }
    if (!response.text) return undefined;
    try {
      return JSON.parse(response.text);
    } catch {
      throw new AmbientMigrateError(
        `${this.server} answered ${what.verb} ${what.resource} with something that is not JSON`,
        ExitCode.clusterUnreachable,
        "the server is not a Kubernetes apiserver, or a proxy in between rewrote the answer",
        [response.text.slice(0, 200)],
      );
    }
  }

  /** Every non-core group-version's resources, or undefined when the server predates it. */
  private aggregatedDiscovery(): Promise<Map<string, APIResourceList> | undefined> {
    this.aggregated ??= this.call(
      { method: "GET", path: "/apis", accept: AGGREGATED_DISCOVERY },
      { verb: "get", group: "", resource: "discovery" },
    ).then(
      (body) => {
        const list = body as APIGroupDiscoveryList | undefined;
        if (list?.kind !== "APIGroupDiscoveryList") return undefined;
        const byGroupVersion = new Map<string, APIResourceList>();
        for (const group of list.items ?? []) {
          for (const v of group.versions ?? []) {
            const resources = (v.resources ?? []).map((r) => ({
              name: r.resource,
              kind: r.responseKind?.kind ?? "",
              namespaced: r.scope === "Namespaced",
            }));
            byGroupVersion.set(`${group.metadata?.name ?? ""}/${v.version}`, { resources });
          }
        }
        this.watchListServer = true;
        return byGroupVersion;
      },
      // Per group-version discovery then says what is wrong, if anything is.
      () => undefined,
    );
    return this.aggregated;
  }

  private async groupVersion(group: string, version: string): Promise<APIResourceList | undefined> {
    const key = `${group}/${version}`;
    if (group !== "") {
      const all = await this.aggregatedDiscovery();
      if (all) return all.get(key);
    }
    let cached = this.discovery.get(key);
    if (!cached) {
      const path = group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
      cached = this.call({ method: "GET", path }, { verb: "get", group, resource: "discovery" }).then(
        (list) => list as APIResourceList,
        (err) => {
          if (isStatus(err, 404)) return undefined;
          this.discovery.delete(key);
          throw err;
        },
      );
      this.discovery.set(key, cached);
    }
    return cached;
  }

  async hasResource(group: string, version: string, plural: string): Promise<boolean> {
    const list = await this.groupVersion(group, version);
    return (list?.resources ?? []).some((r) => r.name === plural);
  }

  /** The resource of an object: from the registry of kinds, else from discovery. */
  private async resourceOf(ref: Pick<ObjectRef, "apiVersion" | "kind">): Promise<Resource> {
    const group = groupOf(ref.apiVersion);
    const version = ref.apiVersion.slice(ref.apiVersion.indexOf("/") + 1);
    const known = lookupKind(ref.apiVersion, ref.kind);
    if (known) return { group, version, plural: known.plural, namespaced: known.namespaced };
    const found = (await this.groupVersion(group, version))?.resources?.find(
      (r) => r.kind === ref.kind && !r.name.includes("/"),
    );
    if (!found) {
      throw new AmbientMigrateError(
        `the cluster does not serve ${ref.kind} in ${ref.apiVersion}`,
        ExitCode.prerequisiteMissing,
        `install the CRD that defines ${ref.kind} (${ref.apiVersion})`,
      );
    }
    return { group, version, plural: found.name, namespaced: found.namespaced };
  }

  private describe(r: Resource, verb: string, ref?: Partial<ObjectRef>, sub?: string): RequestDescription {
    const d: RequestDescription = { verb, group: r.group, resource: r.plural };
    if (sub) d.subresource = sub;
    if (r.namespaced && ref?.namespace) d.namespace = ref.namespace;
    if (ref?.name) d.name = ref.name;
    return d;
  }

  async list(kind: KindInfo, namespace?: string, options: ListOptions = {}): Promise<ListResult> {
    if (options.limit === undefined) {
      const streamed = await this.listByWatch(kind, namespace, options);
      if (streamed) return streamed;
    }
    const r: Resource = kind;
    const what = this.describe(r, "list", namespace ? { namespace } : undefined);
    const limit = options.limit ?? DEFAULT_PAGE_SIZE;
    for (let attempt = 0; ; attempt++) {
      const items: KubeObject[] = [];
      let resourceVersion = "";
      let token: string | undefined;
      try {
        do {
          const page = (await this.call(
            {
              method: "GET",
              path: resourcePath(r, namespace),
              query: {
                limit,
                continue: token,
                labelSelector: options.labelSelector,
                fieldSelector: options.fieldSelector,
              },
            },
            what,
          )) as { items?: unknown[]; metadata?: { continue?: string; resourceVersion?: string } };
          items.push(...withTypeMeta(page.items ?? [], kind));
          resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
          token = page.metadata?.continue || undefined;
          options.onPage?.(items.length);
        } while (token);
        return { items, resourceVersion };
      } catch (err) {
        // A continue token expires when a list outlives etcd's compaction: start over, once.
        if (isStatus(err, 410) && token !== undefined && attempt === 0) {
          this.note(`listing ${kind.plural} took too long and its continue token expired; listing again`);
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * The list as a watch with sendInitialEvents ("watch-list"): the apiserver streams the objects
   * one event per line from its cache, ending with a bookmark; each line is parsed alone, so the
   * raw text of a whole list is never held next to its objects, and there are no page round
   * trips. Only once discovery has shown a 1.30+ server (an older one may not know the
   * parameter and would never end the stream). Undefined when the server cannot or will not (a
   * paginated list follows): discovery not asked yet or answered the old way, the WatchList
   * feature gate turned off, RBAC that grants list but not watch.
   */
  private async listByWatch(
    kind: KindInfo,
    namespace: string | undefined,
    options: ListOptions,
  ): Promise<ListResult | undefined> {
    const key = `${kind.group}/${kind.plural}`;
    if (!this.watchListServer || this.noWatchList.has(key)) return undefined;
    const items: unknown[] = [];
    let resourceVersion: string | undefined;
    let failed = false;
    const done = new AbortController();
    let end: Awaited<ReturnType<Transport["stream"]>>;
    try {
      end = await this.transport.stream(
        {
          method: "GET",
          path: resourcePath(kind, namespace),
          query: {
            watch: 1,
            sendInitialEvents: true,
            resourceVersionMatch: "NotOlderThan",
            allowWatchBookmarks: true,
            labelSelector: options.labelSelector,
            fieldSelector: options.fieldSelector,
          },
        },
        (line) => {
          if (done.signal.aborted) return;
          let event: RawWatchEvent;
          try {
            event = JSON.parse(line) as RawWatchEvent;
          } catch {
            event = { type: "ERROR", object: undefined };
          }
          if (event.type === "ADDED") {
            items.push(event.object);
            if (items.length % DEFAULT_PAGE_SIZE === 0) options.onPage?.(items.length);
          } else if (event.type === "BOOKMARK") {
            if (event.object?.metadata?.annotations?.[INITIAL_EVENTS_END] !== "true") return;
            resourceVersion = event.object.metadata.resourceVersion ?? "";
            done.abort();
          } else {
            failed = true;
            done.abort();
          }
        },
        { signal: done.signal, idleTimeoutMs: 60_000 },
      );
    } catch {
      return undefined; // a dropped stream: the paginated list retries, and reports for good
    }
    if (resourceVersion === undefined || failed) {
      if (end.status === 403 || end.status === 400 || end.status === 422) this.noWatchList.add(key);
      return undefined;
    }
    options.onPage?.(items.length);
    return { items: withTypeMeta(items, kind), resourceVersion };
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const r = await this.resourceOf(ref);
    try {
      return (await this.call(
        { method: "GET", path: resourcePath(r, ref.namespace, ref.name) },
        this.describe(r, "get", ref),
      )) as KubeObject;
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  private async mergePatch(
    r: Resource,
    ref: ObjectRef,
    patch: unknown,
    options?: DryRunOption,
  ): Promise<KubeObject> {
    return (await this.call(
      {
        method: "PATCH",
        path: resourcePath(r, ref.namespace, ref.name),
        query: { ...dryRunQuery(options), fieldManager: FIELD_MANAGER },
        body: patch,
        contentType: "application/merge-patch+json",
      },
      this.describe(r, "patch", ref),
    )) as KubeObject;
  }

  async patchLabels(ref: ObjectRef, labels: LabelValues, options?: DryRunOption): Promise<PatchLabelsResult> {
    return this.conditionalPatch(
      ref,
      labels,
      (current) => current.metadata.labels ?? {},
      (resourceVersion) => ({ metadata: { labels, resourceVersion } }),
      options,
    );
  }

  async patchTemplateMetadata(
    ref: ObjectRef,
    field: TemplateMetadataField,
    values: LabelValues,
    options?: DryRunOption,
  ): Promise<PatchLabelsResult> {
    return this.conditionalPatch(
      ref,
      values,
      (current) => templateMetadataOf(current, field),
      (resourceVersion) => templateMetadataPatch(ref.kind, field, values, resourceVersion),
      options,
    );
  }

  /**
   * Reads the object, records the values before, and merge-patches under the resourceVersion
   * read: the patch is conditional, so the previous values recorded are exact (retried on 409).
   */
  private async conditionalPatch(
    ref: ObjectRef,
    values: LabelValues,
    read: (current: KubeObject) => Record<string, string>,
    patch: (resourceVersion: string | undefined) => unknown,
    options?: DryRunOption,
  ): Promise<PatchLabelsResult> {
    const r = await this.resourceOf(ref);
    const keys = Object.keys(values);
    const pick = (object: KubeObject): LabelValues =>
      Object.fromEntries(keys.map((k) => [k, read(object)[k] ?? null]));
    let previous: LabelValues | undefined;
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(ref);
      if (!current) {
        throw new AmbientMigrateError(`${describeRef(ref)} not found`, ExitCode.notFound);
      }
      const now = pick(current);
      if (previous && !isDeepStrictEqual(now, previous)) {
        // A conflict, then these very keys changed: our own patch landed (its answer was lost), or
        // someone else wrote them in between, whom we do not overwrite.
        if (isDeepStrictEqual(now, values)) return { previous, object: current };
        throw concurrentKeysEdit(current, keys, previous, now);
      }
      previous = now;
      try {
        const object = await this.mergePatch(r, ref, patch(current.metadata.resourceVersion), options);
        return { previous, object };
      } catch (err) {
        // Another field changed meanwhile (a controller's status, say): read again and retry.
        if (isStatus(err, 409) && attempt < 5) continue;
        throw err;
      }
    }
  }

  async apply(object: KubeObject, options: ApplyOptions = {}): Promise<KubeObject> {
    const r = await this.resourceOf(object);
    const ref = { namespace: object.metadata.namespace, name: object.metadata.name };
    return (await this.call(
      {
        method: "PATCH",
        path: resourcePath(r, object.metadata.namespace, object.metadata.name, options.subresource),
        query: {
          ...dryRunQuery(options),
          fieldManager: options.fieldManager ?? FIELD_MANAGER,
          force: options.force ? true : undefined,
        },
        body: object,
        contentType: "application/apply-patch+yaml",
      },
      this.describe(r, "patch", ref, options.subresource),
    )) as KubeObject;
  }

  async create(object: KubeObject, options: DryRunOption = {}): Promise<KubeObject> {
    const r = await this.resourceOf(object);
    const ref = { namespace: object.metadata.namespace };
    return (await this.call(
      {
        method: "POST",
        path: resourcePath(r, object.metadata.namespace),
        query: { ...dryRunQuery(options), fieldManager: FIELD_MANAGER },
        body: object,
      },
      this.describe(r, "create", ref),
    )) as KubeObject;
  }

  async delete(ref: ObjectRef, options: DeleteOptions = {}): Promise<boolean> {
    const r = await this.resourceOf(ref);
    const body: Record<string, unknown> = {
      apiVersion: "v1",
      kind: "DeleteOptions",
      propagationPolicy: "Background",
    };
    if (options.dryRun) body.dryRun = ["All"];
    if (options.resourceVersion) body.preconditions = { resourceVersion: options.resourceVersion };
    try {
      await this.call(
        { method: "DELETE", path: resourcePath(r, ref.namespace, ref.name), body },
        this.describe(r, "delete", ref),
      );
      return true;
    } catch (err) {
      if (isStatus(err, 404)) return false;
      throw err;
    }
  }

  async restart(ref: ObjectRef, options: DryRunOption & { at?: Date } = {}): Promise<KubeObject> {
    const r = await this.resourceOf(ref);
    const at = restartedAtValue(options.at);
    return this.mergePatch(
      r,
      ref,
      { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: at } } } } },
      options,
    );
  }

  watch(
    kind: KindInfo,
    namespace: string | undefined,
    onEvent: (event: WatchEvent) => void,
    options: WatchOptions = {},
  ): Promise<void> {
    const what = this.describe(kind, "watch", namespace ? { namespace } : undefined);
    const selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
    const listOptions: ListOptions = {};
    if (options.labelSelector) listOptions.labelSelector = options.labelSelector;
    if (options.fieldSelector) listOptions.fieldSelector = options.fieldSelector;
    // Servers end a watch after timeoutSeconds; spread them like client-go does.
    const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
    return runWatch(
      {
        list: () => this.list(kind, namespace, listOptions),
        stream: async (resourceVersion, onRaw, signal) => {
          try {
            return await this.transport.stream(
              {
                method: "GET",
                path: resourcePath(kind, namespace),
                query: { watch: 1, resourceVersion, allowWatchBookmarks: true, timeoutSeconds, ...selectors },
              },
              (line) => {
                try {
                  onRaw(JSON.parse(line) as RawWatchEvent);
                } catch {
                  // A half line from a dropped connection: the resume covers it.
                }
              },
              { signal, idleTimeoutMs: (timeoutSeconds + 30) * 1000 },
            );
          } catch (err) {
            throw isNetworkError(err) ? networkError(err, this) : err;
          }
        },
        fail: (end) => httpError(end.status, end.text, what),
      },
      onEvent,
      {
        ...(options.resourceVersion ? { resourceVersion: options.resourceVersion } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onRetry: (reason, delay) => this.note(`${reason}; retrying in ${(delay / 1000).toFixed(1)}s`),
      },
    );
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
    let fallbackReason: string;
    try {
      const raw = await this.transport.portForward(
        pod,
        port,
        getRequest(path),
        responseComplete,
        PORT_FORWARD_TIMEOUT_MS,
      );
      const parsed = parseResponse(raw);
      if (!parsed) throw new Error(`the pod's port ${port} did not answer with HTTP`);
      return { status: parsed.status, body: parsed.body.toString("utf8"), via: "port-forward" };
    } catch (err) {
      fallbackReason = (err as Error).message;
    }
    this.note(
      `port-forward to ${pod.namespace}/${pod.name}:${port} failed (${fallbackReason}); trying the pod proxy subresource`,
    );
    const core: Resource = { group: "", version: "v1", plural: "pods", namespaced: true };
    const podPath = resourcePath(core, pod.namespace, pod.name);
    const proxyPath = `${podPath}:${port}/proxy${path}`;
    let response: Awaited<ReturnType<Transport["request"]>>;
    try {
      response = await this.transport.request({ method: "GET", path: proxyPath });
    } catch (err) {
      throw isNetworkError(err) ? networkError(err, this) : err;
    }
    // Only the apiserver's own refusal is RBAC; a 403 relayed from the pod's side (an egress
    // proxy's "denied destination") is an unreachable pod like a 5xx.
    if ((response.status === 401 || response.status === 403) && isApiserverStatus(response.text)) {
      throw httpError(response.status, response.text, {
        verb: "create",
        group: "",
        resource: "pods",
        subresource: "portforward",
        namespace: pod.namespace,
        name: pod.name,
      });
    }
    if (
      response.status >= 500 ||
      response.status === 404 ||
      response.status === 403 ||
      response.status === 401
    ) {
      throw new AmbientMigrateError(
        `cannot reach ${pod.namespace}/${pod.name} port ${port}: port-forward failed (${fallbackReason}) and the pod proxy answered ${response.status}${response.text.trim() ? ` (${response.text.trim().slice(0, 200)})` : ""}`,
        ExitCode.clusterUnreachable,
        "ztunnel binds its admin port to localhost, which only port-forward reaches: check that " +
          "pods/portforward is allowed and that the apiserver can reach the kubelet",
      );
    }
    return { status: response.status, body: response.text, via: "proxy", fallbackReason };
  }

  async serverVersion(): Promise<ServerVersion> {
    return (await this.call(
      { method: "GET", path: "/version" },
      { verb: "get", group: "", resource: "version" },
    )) as ServerVersion;
  }
}

function concurrentKeysEdit(
  current: KubeObject,
  keys: string[],
  before: LabelValues,
  now: LabelValues,
): AmbientMigrateError {
  const ref = describeRef(refOf(current));
  const changed = keys.filter((k) => before[k] !== now[k]);
  const writer =
    changed.flatMap((k) => [
      ...foreignOwners(current, ["metadata", "labels", k]),
      ...foreignOwners(current, ["spec", "template", "metadata", "labels", k]),
      ...foreignOwners(current, ["spec", "template", "metadata", "annotations", k]),
    ])[0] ?? latestForeignWriter(current);
  return concurrentEdit(
    `${ref} changed while ambient-migrate was changing it: ${changed.map((k) => `${k} ${before[k] ?? "(absent)"} -> ${now[k] ?? "(absent)"}`).join(", ")}, by ${describeManager(writer)}; stopped rather than overwrite it`,
    "find out who changes it and why; then run the command again (it re-reads the current values)",
  );
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

/** waitFor on any port: list once, then follow a watch from that list until predicate holds. */
export async function waitOnWatch(
  port: Pick<ClusterPort, "list" | "watch">,
  kind: KindInfo,
  namespace: string | undefined,
  predicate: (objects: KubeObject[]) => boolean,
  options: WaitOptions,
): Promise<WaitResult> {
  const started = Date.now();
  const listOptions: ListOptions = {};
  if (options.labelSelector) listOptions.labelSelector = options.labelSelector;
  if (options.fieldSelector) listOptions.fieldSelector = options.fieldSelector;
  const first = await port.list(kind, namespace, listOptions);
  const objects = new Map(first.items.map((o) => [keyOf(o), o]));
  const current = () => [...objects.values()];
  if (predicate(current())) return { satisfied: true, objects: current(), elapsedMs: Date.now() - started };
  options.onProgress?.(current());

  const stop = new AbortController();
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([stop.signal, timeout, ...(options.signal ? [options.signal] : [])]);
  let satisfied = false;
  const watchOptions: WatchOptions = { resourceVersion: first.resourceVersion, signal };
  if (options.labelSelector) watchOptions.labelSelector = options.labelSelector;
  if (options.fieldSelector) watchOptions.fieldSelector = options.fieldSelector;
  await port.watch(
    kind,
    namespace,
    (event) => {
      if (event.type === "RELISTED") {
        objects.clear();
        for (const o of event.objects) objects.set(keyOf(o), o);
      } else if (event.type === "DELETED") objects.delete(keyOf(event.object));
      else objects.set(keyOf(event.object), event.object);
      if (predicate(current())) {
        satisfied = true;
        stop.abort();
      } else options.onProgress?.(current());
    },
    watchOptions,
  );
  return { satisfied, objects: current(), elapsedMs: Date.now() - started };
}
