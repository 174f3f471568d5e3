// The plan is data: for each namespace, the seed's six steps as changes to make and gates to
// observe. The kubectl lines, verifications and rollbacks a person reads are rendered from these
// changes and gates (render-kubectl.ts), and the executor carries out exactly these changes.

import type { Finding } from "../assess/finding.js";
import type { Change } from "../changes/index.js";
import type { Gate } from "../gates/index.js";
import type { ObjectRef } from "../inventory/identity.js";
import type { KubeObject } from "../inventory/model.js";
import type { NamespaceMode } from "../mesh/namespace-state.js";
import type { NamespaceObservabilityChanges } from "../observability/changes.js";
import type { ReportEntry } from "../translate/report.js";
import type { StepId, StepNumber } from "./steps.js";

export type { Change } from "../changes/index.js";
export type { Gate } from "../gates/index.js";

export interface Step {
  /** Which step (see steps.ts); `step` is its number as people see it. */
  id: StepId;
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

/** Where step 1 records the sidecars' routes (beside the backup; verify-routes/reference.ts). */
export function routesFileFor(namespace: string): string {
  return `sidecar-routes-${namespace}.json`;
}

export function backupFileFor(namespace: string): string {
  // YAML (a superset of JSON): the tool writes YAML; the manual kubectl line writes JSON.
  return `istio-config-backup-${namespace}.yaml`;
}
