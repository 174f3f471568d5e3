// The plan is data: for each namespace, the seed's six steps as changes to make and gates to
// observe. The kubectl lines, verifications and rollbacks a person reads are rendered from these
// changes and gates (render-kubectl.ts), and the executor carries out exactly these changes.

import type { Finding } from "../assess/finding.js";
import type { KubeObject } from "../inventory/model.js";
import type { NamespaceMode } from "../mesh/namespace-state.js";
import type { RestartMethod } from "../mesh/workloads.js";
import type { NamespaceObservabilityChanges } from "../observability/changes.js";
import type { ReportEntry } from "../translate/report.js";

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export type Gate =
  /** The waypoint Gateway has condition Programmed=True (istiod ignores it before status.addresses). */
  | { type: "waypoint-programmed"; namespace: string; name: string }
  /** Every pod of the namespace is listed by ztunnel with protocol HBONE. */
  | { type: "ztunnel-workloads"; namespace: string }
  /** The namespace no longer selects the sidecar injector. */
  | { type: "injection-disabled"; namespace: string }
  | { type: "rollouts-complete"; targets: ObjectRef[] }
  /** The backup file exists, parses, and the API server accepts it (server-side dry-run). */
  | { type: "backup-verified"; namespace: string; file: string }
  /** No pod runs istio-proxy (container or native sidecar), except workloads left to the user. */
  | { type: "no-sidecars"; namespace: string; except: ObjectRef[] }
  /** Pods carry ambient.istio.io/redirection=enabled; ztunnel lists them HBONE without nativeTunnel. */
  | { type: "pods-redirected"; namespace: string; except: ObjectRef[] }
  /** istiod accepted the objects (HTTPRoute Accepted, AuthorizationPolicy WaypointAccepted). */
  | { type: "policies-accepted"; targets: ObjectRef[] };

export type Change =
  /** Set (value) or remove (null) a label; previous is what the input showed, for rollback. */
  | { type: "label"; target: ObjectRef; key: string; value: string | null; previous: string | null }
  /**
   * Set (value) or remove (null) a key of a workload's pod template labels or annotations
   * (`migrate --patch-forced-injection`: the keys that make the injector select the template on
   * its own); previous is what the input showed, for rollback.
   */
  | {
      type: "template-metadata";
      target: ObjectRef;
      field: "labels" | "annotations";
      key: string;
      value: string | null;
      previous: string | null;
    }
  /**
   * Server-side apply an object. `created`: it did not exist, so rollback deletes it.
   * `waitFor`: observe this gate before the next change (e.g. the waypoint is programmed
   * before the namespace is pointed at it). `waitBefore`: observe this gate before applying
   * (the bypass DENY policies wait for step 4's rollouts).
   */
  | {
      type: "apply";
      object: KubeObject;
      reason: string;
      created: boolean;
      waitFor?: Gate;
      waitBefore?: Gate;
    }
  /** Save the objects that later changes delete, stripped of server fields; verified before going on. */
  | { type: "backup"; namespace: string; file: string; targets: ObjectRef[]; waitFor: Gate }
  | { type: "delete"; target: ObjectRef; reason: string; backupFile: string }
  /** Renew a workload's pods: rollout-restart, or delete-pods (matching podSelector). */
  | {
      type: "restart";
      target: ObjectRef;
      method: Extract<RestartMethod, "rollout-restart" | "delete-pods">;
      podSelector?: Record<string, string>;
    };

export type StepNumber = 1 | 2 | 3 | 4 | 5 | 6;

export interface Step {
  step: StepNumber;
  title: string;
  changes: Change[];
  /** Observed after the changes, before the next step may start. */
  gates: Gate[];
  /** Rendered from changes (kubectl/istioctl equivalents). */
  commands: string[];
  /** Rendered from gates. */
  verify: string[];
  /** Rendered from changes: undoes this step once later steps are undone. */
  rollback: string[];
  notes: string[];
}

export interface Disposition {
  ref: ObjectRef;
  reason: string;
}

export interface WaypointPlan {
  name: string;
  namespace: string;
  exists: boolean;
  create: boolean;
  needed: boolean;
  reason: string;
}

export interface NamespacePlan {
  namespace: string;
  state: { mode: NamespaceMode; summary: string; stepReached: number };
  blocked: boolean;
  blockers: Finding[];
  warnings: Finding[];
  waypoint: WaypointPlan;
  /**
   * Translated objects (subset Services and DestinationRules, HTTPRoutes, targetRefs policies) that
   * step 1 applies first. The waypoint Gateway is not among them: step 1 creates it.
   */
  applyBeforeStep1: { object: KubeObject; reason: string }[];
  deleteInStep5: Disposition[];
  keep: Disposition[];
  /** Workloads whose pods step 4 cannot renew; the person migrating renews them. */
  manualRestarts: Disposition[];
  notes: string[];
  steps: Step[];
  /** Translation report entries of level error and warning (all levels: `ambient-migrate translate`). */
  translationReport?: ReportEntry[];
  /** What changes in metrics, scrape targets and traces after migration; no cluster change. */
  observability?: PlanObservability;
}

export interface PlanObservability extends NamespaceObservabilityChanges {
  /** Apps whose metrics the sidecar merged: generate a PodMonitor for each (`ambient-migrate observability --output-dir`). */
  podMonitorsToGenerate: string[];
}

/** A dashboard or recording/alerting rule in the input whose queries change with ambient's metrics. */
export interface DocumentToRewrite {
  source: string;
  origin?: string;
  rewritten: number;
  flagged: number;
}

export interface Plan {
  namespaces: NamespacePlan[];
  /** Dashboards and rules (mesh-wide) to rewrite with `ambient-migrate observability`. */
  observability?: { documents: DocumentToRewrite[] };
}

export function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    name: object.metadata.name,
  };
}

export function namespaceRef(name: string): ObjectRef {
  return { apiVersion: "v1", kind: "Namespace", name };
}

export function backupFileFor(namespace: string): string {
  // YAML (a superset of JSON): the tool writes YAML; the manual kubectl line writes JSON.
  return `istio-config-backup-${namespace}.yaml`;
}
