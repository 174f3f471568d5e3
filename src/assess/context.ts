// What checks read. A MeshContext indexes the inventory once (Namespace objects,
// control-plane config); a NamespaceContext gives one namespace's objects by kind and caches
// derived facts (workloads, policy classes, waypoint need) that several checks share. Checks
// only ever read `inNamespace(kind, ns)`, so assessing N namespaces costs O(objects).

import { type GitopsCluster, gitopsCluster } from "../gitops/signals.js";
import { K, type KnownKindKey } from "../inventory/kinds.js";
import { type Inventory, type KubeObject, labelsOf } from "../inventory/model.js";
import { classifyAuthorizationPolicy, type PolicyClassification } from "../mesh/authorization.js";
import { meshConfigMaps, rootNamespaceOf } from "../mesh/mesh-config.js";
import { type NamespaceState, namespaceState } from "../mesh/namespace-state.js";
import { isWaypoint, namespaceWaypointRef } from "../mesh/waypoint.js";
import { sidecarStateOf, type Workload, type WorkloadSidecarState, workloadsIn } from "../mesh/workloads.js";
import {
  type CallGraph,
  callGraphOf,
  type IngressBackend,
  ingressBackends,
  type ObservedEdge,
} from "../waves/graph.js";
import { FINDING_CODES, type Finding, type FindingCode } from "./finding.js";
import { type MeshBinding, vsBinding } from "./routing.js";
import { type WaypointNeed, waypointNeeds } from "./waypoint-need.js";

export class MeshContext {
  private namespaces: Map<string, KubeObject> | undefined;
  private root: string | undefined;
  private graph: CallGraph | undefined;
  private onSidecars: Set<string> | undefined;
  private ingress: IngressBackend[] | undefined;
  private gitopsFacts: GitopsCluster | undefined;
  private readonly contexts = new Map<string, NamespaceContext>();

  readonly observed: readonly ObservedEdge[];
  private readonly givenRoot: string | undefined;

  /**
   * `observed`: traffic Prometheus observed between namespaces (`--prometheus`), for the call
   * graph. `rootNamespace`: as `--root-namespace` gives it; else the mesh config's.
   */
  constructor(
    readonly inventory: Inventory,
    options: { observed?: readonly ObservedEdge[]; rootNamespace?: string } = {},
  ) {
    this.observed = options.observed ?? [];
    this.givenRoot = options.rootNamespace;
  }

  /** Which namespaces call which: from configuration, and observed traffic when given. */
  callGraph(): CallGraph {
    this.graph ??= callGraphOf(this.inventory, this.rootNamespace, this.observed);
    return this.graph;
  }

  /** Services that ingress gateways route to (VirtualServices on Istio Gateways, routes on Gateways). */
  ingressBackends(): IngressBackend[] {
    this.ingress ??= ingressBackends(this.inventory);
    return this.ingress;
  }

  /** Whether Argo CD runs on the cluster, and which label it tracks objects with. */
  gitops(): GitopsCluster {
    this.gitopsFacts ??= gitopsCluster(this.inventory);
    return this.gitopsFacts;
  }

  /**
   * One context per namespace for the mesh's lifetime: sidecarNamespaces() works out every
   * namespace's state, and the checks, the plan and status then ask for it again.
   */
  namespace(name: string): NamespaceContext {
    let ctx = this.contexts.get(name);
    if (!ctx) {
      ctx = new NamespaceContext(this, name);
      this.contexts.set(name, ctx);
    }
    return ctx;
  }

  /** Namespaces whose pods still run (or would get) sidecars: not restarted into ambient yet. */
  sidecarNamespaces(): Set<string> {
    if (!this.onSidecars) {
      this.onSidecars = new Set();
      for (const ns of this.inventory.namespaceNames()) {
        const { mode } = this.namespace(ns).state();
        if (mode === "sidecar" || mode === "migrating") this.onSidecars.add(ns);
      }
    }
    return this.onSidecars;
  }

  /** file:line of an object read from files. */
  originOf(object: KubeObject): string | undefined {
    const origin = this.inventory.originOf(object);
    return origin && `${origin.file}:${origin.line}`;
  }

  namespaceObject(name: string): KubeObject | undefined {
    if (!this.namespaces) {
      this.namespaces = new Map(this.inventory.list(K.Namespace).map((n) => [n.metadata.name, n]));
    }
    return this.namespaces.get(name);
  }

  /** Istio's root namespace (mesh config `rootNamespace`), where mesh-wide policies live. */
  get rootNamespace(): string {
    this.root ??= rootNamespaceOf(this.inventory, this.givenRoot);
    return this.root;
  }

  /** istiod's mesh config ConfigMaps: `istio`, or `istio-<rev>` per revision. */
  meshConfigMaps(): readonly KubeObject[] {
    return meshConfigMaps(this.inventory);
  }

  finding(
    code: FindingCode,
    object: KubeObject,
    message: string,
    remedy: string,
    scope: Finding["scope"] = "namespace",
  ): Finding {
    const origin = this.originOf(object);
    return {
      code,
      severity: FINDING_CODES[code].severity,
      scope,
      namespace: object.metadata.namespace ?? object.metadata.name,
      kind: object.kind,
      apiVersion: object.apiVersion,
      name: object.metadata.name,
      message,
      remedy,
      ...(origin ? { origin } : {}),
    };
  }
}

interface WorkloadView {
  workload: Workload;
  sidecar: WorkloadSidecarState;
}

interface PolicyView {
  object: KubeObject;
  policy: PolicyClassification;
}

export interface WaypointFacts {
  /** The waypoint the namespace uses or would use. */
  name: string;
  namespace: string;
  /** The namespace already carries istio.io/use-waypoint. */
  labelled: boolean;
  /** A Gateway of class istio-waypoint with that name exists. */
  exists: boolean;
  /** Why the namespace needs a waypoint; empty when it does not. */
  reasons: string[];
}

export class NamespaceContext {
  private cache = new Map<string, unknown>();

  constructor(
    readonly mesh: MeshContext,
    readonly namespace: string,
  ) {}

  get inventory(): Inventory {
    return this.mesh.inventory;
  }

  list(kind: KnownKindKey): KubeObject[] {
    return this.inventory.inNamespace(kind, this.namespace);
  }

  get namespaceObject(): KubeObject | undefined {
    return this.mesh.namespaceObject(this.namespace);
  }

  get labels(): Record<string, string> {
    return labelsOf(this.namespaceObject);
  }

  workloads(): WorkloadView[] {
    return this.memo("workloads", () => this.workloadViews());
  }

  private workloadViews(): WorkloadView[] {
    return workloadsIn(this.inventory, this.namespace).map((workload) => ({
      workload,
      sidecar: sidecarStateOf(workload, this.labels),
    }));
  }

  state(): NamespaceState {
    return this.memo("state", () => {
      // Not memoized when only the state is asked (sidecarNamespaces asks it of every namespace).
      const views = (this.cache.get("workloads") as WorkloadView[] | undefined) ?? this.workloadViews();
      return namespaceState({
        labels: this.labels,
        known: this.namespaceObject !== undefined,
        podsWithSidecar: views.reduce((n, v) => n + v.sidecar.podsWithSidecar, 0),
        workloadsCarryingSidecar: views.filter((v) => v.sidecar.carriesSidecar).length,
      });
    });
  }

  authorizationPolicies(): PolicyView[] {
    return this.memo("policies", () =>
      this.list(K.AuthorizationPolicy).map((object) => ({
        object,
        policy: classifyAuthorizationPolicy(object.spec),
      })),
    );
  }

  virtualServices(): { object: KubeObject; binding: MeshBinding }[] {
    return this.memo("virtualServices", () =>
      this.list(K.VirtualService).map((object) => ({ object, binding: vsBinding(object) })),
    );
  }

  waypoint(): WaypointFacts {
    return this.memo("waypoint", () => {
      const ref = namespaceWaypointRef(this.namespace, this.labels);
      const exists = this.inventory
        .inNamespace(K.Gateway, ref.namespace)
        .some((g) => g.metadata.name === ref.name && isWaypoint(g));
      return { ...ref, exists, reasons: this.waypointNeeds().map((n) => n.reason) };
    });
  }

  /** The objects that need the namespace's waypoint, and why. */
  waypointNeeds(): WaypointNeed[] {
    return this.memo("waypointNeeds", () => waypointNeeds(this));
  }

  /** Whether traffic to this namespace's Services will go through a waypoint. */
  usesWaypoint(): boolean {
    const w = this.waypoint();
    return w.labelled || w.reasons.length > 0;
  }

  finding(code: FindingCode, object: KubeObject, message: string, remedy: string): Finding {
    return this.mesh.finding(code, object, message, remedy);
  }

  /**
   * Drops what was worked out for the namespace but its state, once it has been assessed or
   * planned: kept for every namespace of a 37,000-namespace mesh, the workloads alone held
   * 80 MB. A later question works it out again.
   */
  forget(): void {
    for (const key of this.cache.keys()) if (key !== "state") this.cache.delete(key);
  }

  private memo<T>(key: string, compute: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, compute());
    return this.cache.get(key) as T;
  }
}
