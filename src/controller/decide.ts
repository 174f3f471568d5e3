// The reconciler's decisions, pure: from an AmbientMigration's spec, each namespace's journal
// and fresh plan, what to do next (one step of one namespace, or one namespace's rollback) and
// the status to report. The controller carries out one action, then decides again on a fresh
// read, so that `paused`, `targetStep` and `rollback` take effect between steps.

import { LAST_STEP, type StepNumber } from "../plan/steps.js";
import type { Journal } from "../run/journal.js";
import type {
  Condition,
  MigrationSpec,
  MigrationStatus,
  NamespaceState,
  NamespaceStatus,
  Phase,
} from "./resource.js";

export interface NamespaceFacts {
  namespace: string;
  /** 1-based; namespaces of a wave only start once every earlier wave is through. */
  wave: number;
  journal?: Journal;
  /** The plan built from the cluster as it is now (followed only when no run is under way). */
  plan: { blocked: boolean; blockers: string[]; steps: StepNumber[]; note?: string };
}

export type Action =
  | { type: "migrate"; namespace: string; step: StepNumber }
  | { type: "rollback"; namespace: string };

export interface Decision {
  action?: Action;
  status: MigrationStatus;
}

/** A journal whose run is to be resumed (executor's isUnfinished). */
function unfinished(journal: Journal | undefined): journal is Journal {
  return (
    journal !== undefined &&
    journal.status !== "done" &&
    !(journal.status === "rolled-back" && journal.changes.length === 0)
  );
}

interface Assessed {
  facts: NamespaceFacts;
  state: NamespaceState;
  step: number;
  completed: number[];
  /** The next step to run, when the namespace has one up to the target. */
  next?: StepNumber;
  message?: string;
}

function lastGate(journal: Journal | undefined): string | undefined {
  if (journal?.failure) return journal.failure;
  const gate = journal?.gates.at(-1);
  return gate ? `step ${gate.step} ${gate.gate}: ${gate.detail}` : undefined;
}

function assessMigration(facts: NamespaceFacts, spec: MigrationSpec): Assessed {
  const j = facts.journal;
  const target = spec.targetStep ?? LAST_STEP;
  const message = lastGate(j);
  const base = { facts, ...(message ? { message } : {}) };
  if (j?.status === "done")
    return { ...base, state: "Migrated", step: j.currentStep, completed: j.completedSteps };
  if (!unfinished(j)) {
    if (facts.plan.blocked)
      return { ...base, state: "Blocked", step: 0, completed: [], message: facts.plan.blockers.join("; ") };
    if (facts.plan.steps.length === 0)
      return {
        ...base,
        state: "NothingToDo",
        step: 0,
        completed: [],
        message: facts.plan.note ?? "nothing to do",
      };
    const next = facts.plan.steps.find((s) => s <= target);
    if (next === undefined) return { ...base, state: "TargetReached", step: 0, completed: [] };
    return { ...base, state: spec.paused ? "Paused" : "Pending", step: 0, completed: [], next };
  }
  const completed = j.completedSteps;
  const step = j.currentStep;
  if (j.rollbackPending)
    return {
      ...base,
      state: "Failed",
      step,
      completed,
      message: `a rollback stopped before its restarts: ${j.failure ?? ""}`,
    };
  const planned = j.steps.map((s) => s.step);
  let next = planned.find((s) => s <= target && !completed.includes(s));
  // Every step done but the journal not closed (stopped right before its last write): finish it.
  if (next === undefined && planned.every((s) => s <= target)) next = planned.at(-1);
  if (next === undefined) return { ...base, state: "TargetReached", step, completed };
  const state: NamespaceState =
    j.status === "failed"
      ? "Failed"
      : j.status === "interrupted"
        ? "Interrupted"
        : j.status === "running"
          ? "Running"
          : spec.paused
            ? "Paused"
            : "Pending";
  return { ...base, state, step, completed, next };
}

function assessRollback(facts: NamespaceFacts): Assessed {
  const j = facts.journal;
  const message = lastGate(j);
  const base = {
    facts,
    step: j?.currentStep ?? 0,
    completed: j?.completedSteps ?? [],
    ...(message ? { message } : {}),
  };
  if (!j) return { ...base, state: "NothingToDo", message: "never migrated: nothing to roll back" };
  if (j.status === "rolled-back" && !j.rollbackPending)
    return { ...base, state: "RolledBack", step: 0, completed: [] };
  return { ...base, state: "RollingBack" };
}

const TERMINAL: readonly NamespaceState[] = ["Migrated", "NothingToDo", "TargetReached"];

/** The action for the migration and its status; `previous` keeps the conditions' transition times. */
export function decide(
  spec: MigrationSpec,
  generation: number,
  facts: readonly NamespaceFacts[],
  now: Date,
  previous?: MigrationStatus,
): Decision {
  const ordered = [...facts].sort((a, b) => a.wave - b.wave);
  let action: Action | undefined;
  let assessed: Assessed[];
  if (spec.rollback) {
    assessed = ordered.map(assessRollback);
    // Later waves first: the reverse of the order they moved in.
    const undo = [...assessed].reverse().find((a) => a.state === "RollingBack");
    if (undo) action = { type: "rollback", namespace: undo.facts.namespace };
  } else {
    assessed = ordered.map((f) => assessMigration(f, spec));
    for (const wave of [...new Set(ordered.map((f) => f.wave))]) {
      const members = assessed.filter((a) => a.facts.wave === wave);
      const ready = members.find((a) => a.next !== undefined);
      if (ready?.next !== undefined && !spec.paused) {
        action = { type: "migrate", namespace: ready.facts.namespace, step: ready.next };
        ready.state = "Running";
        ready.step = ready.next;
        break;
      }
      // A wave starts only once every earlier one is through (or stopped at the target).
      if (!members.every((a) => TERMINAL.includes(a.state))) break;
    }
  }
  const namespaces = assessed.map((a) => namespaceStatus(a, now, previous));
  const phase = phaseOf(spec, namespaces, action);
  return {
    ...(action ? { action } : {}),
    status: { observedGeneration: generation, phase, message: summary(namespaces), namespaces },
  };
}

function phaseOf(spec: MigrationSpec, namespaces: readonly NamespaceStatus[], action?: Action): Phase {
  const states = namespaces.map((n) => n.state);
  if (spec.rollback) return action ? "RollingBack" : "RolledBack";
  if (states.includes("Failed")) return "Failed";
  if (action) return "Progressing";
  if (states.includes("Blocked")) return "Blocked";
  if (spec.paused && states.some((s) => !TERMINAL.includes(s))) return "Paused";
  if (states.includes("TargetReached")) return "TargetReached";
  if (states.every((s) => s === "Migrated" || s === "NothingToDo")) return "Succeeded";
  return "Pending";
}

function summary(namespaces: readonly NamespaceStatus[]): string {
  if (namespaces.length === 0) return "no namespace selected";
  const counts = new Map<string, number>();
  for (const n of namespaces) counts.set(n.state, (counts.get(n.state) ?? 0) + 1);
  return `${namespaces.length} namespace(s): ${[...counts].map(([s, c]) => `${c} ${s}`).join(", ")}`;
}

function namespaceStatus(a: Assessed, now: Date, previous?: MigrationStatus): NamespaceStatus {
  const before = previous?.namespaces?.find((n) => n.namespace === a.facts.namespace)?.conditions ?? [];
  const condition = (type: string, on: boolean, reason: string, message: string): Condition => {
    const status = on ? "True" : "False";
    const earlier = before.find((c) => c.type === type);
    return {
      type,
      status,
      reason,
      message,
      lastTransitionTime: earlier?.status === status ? earlier.lastTransitionTime : now.toISOString(),
    };
  };
  const s = a.state;
  const stepText = a.step > 0 ? `step ${a.step}` : "not started";
  return {
    namespace: a.facts.namespace,
    wave: a.facts.wave,
    step: a.step,
    state: s,
    completedSteps: [...a.completed].sort((x, y) => x - y),
    conditions: [
      condition("Migrated", s === "Migrated" || s === "NothingToDo", s, stepText),
      condition(
        "Progressing",
        s === "Running" || s === "Pending" || s === "Interrupted" || s === "RollingBack",
        s,
        stepText,
      ),
      condition(
        "Degraded",
        s === "Failed" || s === "Blocked",
        s,
        s === "Failed" || s === "Blocked" ? (a.message ?? "") : "",
      ),
    ],
    ...(a.message ? { lastGateMessage: a.message } : {}),
  };
}
