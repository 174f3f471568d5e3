// The AmbientMigration custom resource (deploy/controller/crd.yaml): what the spec asks for and
// what the controller reports in its status. Cluster-scoped: one object may span namespaces.
// The apiserver validates the spec against the CRD's OpenAPI schema; specOf() still checks what
// the controller relies on, so that an object written before a schema change fails clearly.

import type { KindInfo } from "../inventory/kinds.js";
import type { KubeObject } from "../inventory/model.js";
import { isStepNumber, LAST_STEP, type StepNumber } from "../plan/steps.js";

export const GROUP = "ambient-migrate.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = "AmbientMigration";

export const MIGRATION_KIND: KindInfo = {
  group: GROUP,
  version: VERSION,
  kind: KIND,
  plural: "ambientmigrations",
  namespaced: false,
  role: "the controller's migrations (ambient-migrate controller)",
};

export interface MigrationSpec {
  /** The namespaces, in this order (without waves). */
  namespaces?: string[];
  /** Or those whose labels match this selector (kubectl -l syntax), sorted by name. */
  selector?: string;
  /** Order the namespaces as `plan --waves` does: callers before the namespaces they call. */
  waves: boolean;
  /** Stop every namespace after this step (1..6); unset: all of them. */
  targetStep?: StepNumber;
  /** Finish the step under way, then start no other one until unpaused. */
  paused: boolean;
  /** Undo every namespace's migration from its journal (the only way the controller rolls back). */
  rollback: boolean;
  acceptTranslationLosses: boolean;
  patchForcedInjection: boolean;
  /** An analysis document (docs/analysis.md) run after the gated steps. */
  analysis?: unknown;
}

/** Per namespace, what `kubectl get ambientmigration -o yaml` shows. */
export type NamespaceState =
  | "Pending"
  | "Running"
  | "Paused"
  | "TargetReached"
  | "Migrated"
  | "NothingToDo"
  | "Blocked"
  | "Failed"
  | "Interrupted"
  | "RollingBack"
  | "RolledBack";

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface NamespaceStatus {
  namespace: string;
  wave: number;
  /** The step being worked on (Running) or the last one completed. */
  step: number;
  state: NamespaceState;
  completedSteps: number[];
  conditions: Condition[];
  lastGateMessage?: string;
}

export type Phase =
  | "Pending"
  | "Progressing"
  | "Paused"
  | "TargetReached"
  | "Succeeded"
  | "Blocked"
  | "Failed"
  | "RollingBack"
  | "RolledBack"
  | "Invalid";

export interface MigrationStatus {
  observedGeneration: number;
  phase: Phase;
  message: string;
  namespaces: NamespaceStatus[];
}

export class InvalidSpec extends Error {}

function bool(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw new InvalidSpec(`spec.${field} must be true or false`);
  return value;
}

/** The spec of an AmbientMigration, checked; throws InvalidSpec naming the field. */
export function specOf(object: KubeObject): MigrationSpec {
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  const namespaces = spec.namespaces;
  const selector = spec.selector;
  if (
    namespaces !== undefined &&
    (!Array.isArray(namespaces) || namespaces.some((n) => typeof n !== "string"))
  )
    throw new InvalidSpec("spec.namespaces must be a list of namespace names");
  if (selector !== undefined && typeof selector !== "string")
    throw new InvalidSpec("spec.selector must be a label selector (e.g. team=shop,tier!=db)");
  const named = (namespaces as string[] | undefined) ?? [];
  if (named.length > 0 === (selector !== undefined))
    throw new InvalidSpec("give exactly one of spec.namespaces (non-empty) and spec.selector");
  const target = spec.targetStep;
  if (target !== undefined && target !== null && !isStepNumber(Number(target)))
    throw new InvalidSpec(`spec.targetStep must be a step from 1 to ${LAST_STEP}`);
  return {
    ...(named.length > 0 ? { namespaces: named } : {}),
    ...(typeof selector === "string" ? { selector } : {}),
    waves: bool(spec.waves, "waves"),
    ...(target !== undefined && target !== null ? { targetStep: Number(target) as StepNumber } : {}),
    paused: bool(spec.paused, "paused"),
    rollback: bool(spec.rollback, "rollback"),
    acceptTranslationLosses: bool(spec.acceptTranslationLosses, "acceptTranslationLosses"),
    patchForcedInjection: bool(spec.patchForcedInjection, "patchForcedInjection"),
    ...(spec.analysis !== undefined && spec.analysis !== null ? { analysis: spec.analysis } : {}),
  };
}
