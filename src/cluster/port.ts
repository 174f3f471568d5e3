// The cluster port: the one narrow interface through which the tool reads and changes a
// cluster. The real implementation (client.ts) speaks raw JSON to the apiserver through
// @kubernetes/client-node's authentication; fake.ts is an in-memory one for unit tests.
// Objects are always raw JSON (KubeObject), never typed models: a typed serializer drops
// fields it does not know, and backups, applies and restores need every field.

import type { ObjectRef } from "../inventory/identity.js";
import type { KindInfo } from "../inventory/kinds.js";
import type { KubeObject } from "../inventory/model.js";

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; the whole list is always returned, page by page. */
  limit?: number;
  /** Called after each page with the number of objects read so far. */
  onPage?: (readSoFar: number) => void;
}

export interface ListResult {
  /** Raw objects, each with apiVersion and kind set (list items lack them on the wire). */
  items: KubeObject[];
  /** The list's resourceVersion: where a watch continues from. */
  resourceVersion: string;
}

export interface DryRunOption {
  /** Server-side dry run (`--dry-run=server`): the apiserver validates and admits, stores nothing. */
  dryRun?: boolean;
}

/** Label values before a patch: null where the label was absent. */
export type LabelValues = Record<string, string | null>;

export interface PatchLabelsResult {
  previous: LabelValues;
  object: KubeObject;
}

/** Which metadata map of a pod template a patch changes. */
export type TemplateMetadataField = "labels" | "annotations";

/** Where a workload keeps its pod template: CronJobs one level down, in their job template. */
export function podTemplatePath(kind: string): string[] {
  return kind === "CronJob" ? ["spec", "jobTemplate", "spec", "template"] : ["spec", "template"];
}

/** The pod template's labels or annotations of a workload object ({} when absent). */
export function templateMetadataOf(object: KubeObject, field: TemplateMetadataField): Record<string, string> {
  // biome-ignore lint/suspicious/noExplicitAny: raw JSON walk
  let node: any = object;
  for (const key of podTemplatePath(object.kind)) node = node?.[key];
  return node?.metadata?.[field] ?? {};
}

/** A merge patch that sets (or, with null, removes) keys of the pod template's labels or annotations. */
export function templateMetadataPatch(
  kind: string,
  field: TemplateMetadataField,
  values: LabelValues,
  resourceVersion?: string,
): Record<string, unknown> {
  let patch: Record<string, unknown> = { metadata: { [field]: values } };
  for (const key of [...podTemplatePath(kind)].reverse()) patch = { [key]: patch };
  if (resourceVersion) patch.metadata = { resourceVersion };
  return patch;
}

export interface ApplyOptions extends DryRunOption {
  /** Server-side apply field manager; "ambient-migrate" unless told otherwise. */
  fieldManager?: string;
  /** Take over fields owned by another manager (kubectl apply --server-side --force-conflicts). */
  force?: boolean;
  /** Apply to a subresource: a custom resource's status (the controller's status writes). */
  subresource?: "status";
}

export interface DeleteOptions extends DryRunOption {
  /** Delete only if the object is still at this resourceVersion (it has not changed since read). */
  resourceVersion?: string;
}

export type WatchEvent =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: KubeObject }
  /** The watch had to start over (410 Gone): these are all objects now; forget earlier state. */
  | { type: "RELISTED"; objects: KubeObject[] };

export interface WatchOptions {
  /** Continue from here; without it the watch lists first and reports a RELISTED event. */
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Stops the watch; watch() then resolves. */
  signal?: AbortSignal;
}

export interface WaitOptions {
  timeoutMs: number;
  labelSelector?: string;
  fieldSelector?: string;
  signal?: AbortSignal;
  /** Called with the current objects each time they change and the predicate still fails. */
  onProgress?: (objects: KubeObject[]) => void;
}

export interface WaitResult {
  satisfied: boolean;
  /** The objects as last seen. */
  objects: KubeObject[];
  elapsedMs: number;
}

export interface PortForwardResult {
  status: number;
  body: string;
  /** How the request reached the pod; "proxy" means port-forward failed (see fallbackReason). */
  via: "port-forward" | "proxy";
  fallbackReason?: string;
}

export interface ServerVersion {
  major: string;
  minor: string;
  gitVersion: string;
}

export interface ClusterPort {
  /** Which cluster this is, for messages and backup headers: context name and server URL. */
  readonly context: string;
  readonly server: string;

  list(kind: KindInfo, namespace?: string, options?: ListOptions): Promise<ListResult>;
  /** The object, or undefined when it does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** Merge-patches metadata.labels (null removes a label); returns the values before. */
  patchLabels(ref: ObjectRef, labels: LabelValues, options?: DryRunOption): Promise<PatchLabelsResult>;
  /**
   * Merge-patches a workload's pod template labels or annotations (null removes a key), under
   * the resourceVersion read; returns the values before.
   */
  patchTemplateMetadata(
    ref: ObjectRef,
    field: TemplateMetadataField,
    values: LabelValues,
    options?: DryRunOption,
  ): Promise<PatchLabelsResult>;
  /** Server-side apply of a whole object. */
  apply(object: KubeObject, options?: ApplyOptions): Promise<KubeObject>;
  /**
   * Creates an object (POST), e.g. a server-side dry-run Pod that goes through the admission
   * webhooks as a workload's next pod would; metadata.generateName is honoured.
   */
  create(object: KubeObject, options?: DryRunOption): Promise<KubeObject>;
  /** Returns false when the object was already gone. */
  delete(ref: ObjectRef, options?: DeleteOptions): Promise<boolean>;
  /** What `kubectl rollout restart` does: stamps the pod template's restartedAt annotation. */
  restart(ref: ObjectRef, options?: DryRunOption & { at?: Date }): Promise<KubeObject>;
  /** Streams changes until options.signal aborts; resumes, relists on 410 and backs off by itself. */
  watch(
    kind: KindInfo,
    namespace: string | undefined,
    onEvent: (event: WatchEvent) => void,
    options?: WatchOptions,
  ): Promise<void>;
  /** Waits, on a watch (never by polling), until predicate holds for the current set of objects. */
  waitFor(
    kind: KindInfo,
    namespace: string | undefined,
    predicate: (objects: KubeObject[]) => boolean,
    options: WaitOptions,
  ): Promise<WaitResult>;
  /** HTTP GET to a pod's port through the apiserver (port-forward, else the pod proxy subresource). */
  portForwardGet(
    pod: { namespace: string; name: string },
    port: number,
    path: string,
  ): Promise<PortForwardResult>;
  serverVersion(): Promise<ServerVersion>;
  /** Whether the apiserver serves this resource (discovery), e.g. to skip kinds whose CRD is absent. */
  hasResource(group: string, version: string, plural: string): Promise<boolean>;
}

/** Items of a list response lack apiVersion/kind on the wire; put them back. */
export function withTypeMeta(items: unknown[], kind: KindInfo): KubeObject[] {
  const apiVersion = apiVersionOf(kind);
  // Listed first so that apiVersion/kind lead the object, and set again so that they win.
  const typeMeta = { apiVersion, kind: kind.kind };
  return items.map((item) => Object.assign({ ...typeMeta }, item as KubeObject, typeMeta));
}

export function apiVersionOf(kind: KindInfo): string {
  return kind.group === "" ? kind.version : `${kind.group}/${kind.version}`;
}

export const RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";

/** The restartedAt value `kubectl rollout restart` writes: RFC 3339 without fractions. */
export function restartedAtValue(at: Date = new Date()): string {
  return at.toISOString().replace(/\.\d{3}Z$/, "Z");
}
