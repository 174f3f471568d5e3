import { describe, expect, it } from "vitest";
import { decide, type NamespaceFacts } from "../../../src/controller/decide.js";
import { analysisOf } from "../../../src/controller/reconcile.js";
import { type MigrationSpec, specOf } from "../../../src/controller/resource.js";
import type { StepNumber } from "../../../src/plan/steps.js";
import type { Journal } from "../../../src/run/journal.js";

const now = new Date("2026-12-01T10:00:00Z");
const ALL: StepNumber[] = [1, 2, 3, 4, 5, 6];

function spec(extra: Partial<MigrationSpec> = {}): MigrationSpec {
  return {
    namespaces: ["a"],
    waves: false,
    paused: false,
    rollback: false,
    acceptTranslationLosses: false,
    patchForcedInjection: false,
    ...extra,
  };
}

function journal(status: Journal["status"], completed: StepNumber[], extra: Partial<Journal> = {}): Journal {
  return {
    namespace: "a",
    digest: "d",
    status,
    currentStep: Math.max(0, ...completed),
    completedSteps: completed,
    startedAt: now.toISOString(),
    updatedAt: now.toISOString(),
    holder: "h",
    steps: ALL.map((step) => ({ step, title: `step ${step}`, changes: [], gates: [] })),
    changes: completed.map((s) => ({
      id: `${s}.1`,
      step: s,
      type: "label",
      target: "x",
      state: "done" as const,
      time: now.toISOString(),
    })),
    gates: [],
    rollbacks: [],
    ...extra,
  } as Journal;
}

function ns(namespace: string, wave = 1, j?: Journal, steps: StepNumber[] = ALL): NamespaceFacts {
  return { namespace, wave, ...(j ? { journal: j } : {}), plan: { blocked: false, blockers: [], steps } };
}

describe("decide: migrating", () => {
  it("starts a fresh namespace at its first planned step and shows it Running", () => {
    const d = decide(spec(), 3, [ns("a")], now);
    expect(d.action).toEqual({ type: "migrate", namespace: "a", step: 1 });
    expect(d.status.phase).toBe("Progressing");
    expect(d.status.observedGeneration).toBe(3);
    expect(d.status.namespaces[0]).toMatchObject({ namespace: "a", state: "Running", step: 1 });
  });

  it("goes on one step at a time from the journal", () => {
    const d = decide(spec(), 1, [ns("a", 1, journal("paused", [1, 2]))], now);
    expect(d.action).toEqual({ type: "migrate", namespace: "a", step: 3 });
    expect(d.status.namespaces[0]?.completedSteps).toEqual([1, 2]);
  });

  it("resumes a run a dead leader left running, at the step it was on", () => {
    const d = decide(spec(), 1, [ns("a", 1, journal("running", [1, 2, 3], { currentStep: 4 }))], now);
    expect(d.action).toEqual({ type: "migrate", namespace: "a", step: 4 });
  });

  it("targetStep: stops after that step (TargetReached, no action)", () => {
    const d = decide(spec({ targetStep: 2 }), 1, [ns("a", 1, journal("paused", [1, 2]))], now);
    expect(d.action).toBeUndefined();
    expect(d.status.phase).toBe("TargetReached");
    expect(d.status.namespaces[0]).toMatchObject({ state: "TargetReached", step: 2 });
  });

  it("paused: starts no step; the namespace shows Paused", () => {
    const d = decide(spec({ paused: true }), 1, [ns("a", 1, journal("paused", [1, 2, 3]))], now);
    expect(d.action).toBeUndefined();
    expect(d.status.phase).toBe("Paused");
    expect(d.status.namespaces[0]).toMatchObject({ state: "Paused", step: 3 });
  });

  it("a done journal is Migrated; a namespace with no step is NothingToDo; all: Succeeded", () => {
    const d = decide(
      spec({ namespaces: ["a", "b"] }),
      1,
      [
        ns("a", 1, journal("done", ALL)),
        {
          ...ns("b", 1, undefined, []),
          plan: { blocked: false, blockers: [], steps: [], note: "already ambient" },
        },
      ],
      now,
    );
    expect(d.action).toBeUndefined();
    expect(d.status.phase).toBe("Succeeded");
    expect(d.status.namespaces.map((n) => n.state)).toEqual(["Migrated", "NothingToDo"]);
    expect(d.status.namespaces[1]?.lastGateMessage).toBe("already ambient");
  });

  it("one namespace at a time, in order; a wave only once the one before is through", () => {
    const facts = [ns("b", 2), ns("a", 1, journal("paused", [1]))];
    const d = decide(spec({ namespaces: ["a", "b"], waves: true }), 1, facts, now);
    expect(d.action).toEqual({ type: "migrate", namespace: "a", step: 2 });
    expect(d.status.namespaces.map((n) => [n.namespace, n.state])).toEqual([
      ["a", "Running"],
      ["b", "Pending"],
    ]);
    const next = decide(spec({ waves: true }), 1, [ns("b", 2), ns("a", 1, journal("done", ALL))], now);
    expect(next.action).toEqual({ type: "migrate", namespace: "b", step: 1 });
  });

  it("a blocked namespace is never started and holds back later waves", () => {
    const blocked: NamespaceFacts = {
      namespace: "a",
      wave: 1,
      plan: { blocked: true, blockers: ["EnvoyFilter x cannot be translated"], steps: ALL },
    };
    const d = decide(spec({ waves: true }), 1, [blocked, ns("b", 2)], now);
    expect(d.action).toBeUndefined();
    expect(d.status.phase).toBe("Blocked");
    expect(d.status.namespaces[0]).toMatchObject({
      state: "Blocked",
      lastGateMessage: "EnvoyFilter x cannot be translated",
    });
    expect(d.status.namespaces[0]?.conditions.find((c) => c.type === "Degraded")?.status).toBe("True");
  });

  it("a failed step is retried from the journal, its failure shown as the last gate message", () => {
    const failed = journal("failed", [1, 2, 3], {
      currentStep: 4,
      failure: "rollout of details-v1 timed out",
    });
    const d = decide(spec(), 1, [ns("a", 1, failed)], now);
    expect(d.action).toEqual({ type: "migrate", namespace: "a", step: 4 });
    expect(d.status.namespaces[0]?.lastGateMessage).toBe("rollout of details-v1 timed out");
  });

  it("keeps a condition's lastTransitionTime while its status does not change", () => {
    const first = decide(spec(), 1, [ns("a", 1, journal("paused", [1]))], now);
    const later = new Date(now.getTime() + 60_000);
    const second = decide(spec(), 1, [ns("a", 1, journal("paused", [1, 2]))], later, first.status);
    const progressing = (s: typeof first) =>
      s.status.namespaces[0]?.conditions.find((c) => c.type === "Progressing")?.lastTransitionTime;
    expect(progressing(second)).toBe(progressing(first));
    const done = decide(spec(), 1, [ns("a", 1, journal("done", ALL))], later, second.status);
    expect(progressing(done)).toBe(later.toISOString());
  });
});

describe("decide: rollback", () => {
  it("rolls back the later waves first, and only namespaces with a journal", () => {
    const facts = [ns("a", 1, journal("done", ALL)), ns("b", 2, journal("paused", [1, 2])), ns("c", 2)];
    const d = decide(spec({ rollback: true, waves: true }), 2, facts, now);
    expect(d.action).toEqual({ type: "rollback", namespace: "b" });
    expect(d.status.phase).toBe("RollingBack");
    expect(d.status.namespaces.map((n) => n.state)).toEqual(["RollingBack", "RollingBack", "NothingToDo"]);
  });

  it("is done when every journal says rolled back", () => {
    const rolled = journal("rolled-back", [], { changes: [] });
    const d = decide(spec({ rollback: true }), 2, [ns("a", 1, rolled)], now);
    expect(d.action).toBeUndefined();
    expect(d.status.phase).toBe("RolledBack");
  });
});

describe("specOf", () => {
  const object = (spec: unknown) => ({
    apiVersion: "ambient-migrate.io/v1alpha1",
    kind: "AmbientMigration",
    metadata: { name: "m" },
    spec,
  });

  it("reads the fields with their defaults", () => {
    expect(specOf(object({ selector: "team=shop", targetStep: 4, paused: true }))).toEqual({
      selector: "team=shop",
      targetStep: 4,
      paused: true,
      waves: false,
      rollback: false,
      acceptTranslationLosses: false,
      patchForcedInjection: false,
    });
  });

  it.each([
    [{}, "exactly one of spec.namespaces"],
    [{ namespaces: ["a"], selector: "x=y" }, "exactly one of spec.namespaces"],
    [{ namespaces: ["a"], targetStep: 7 }, "spec.targetStep must be a step from 1 to 6"],
    [{ namespaces: ["a"], paused: "yes" }, "spec.paused must be true or false"],
    [{ namespaces: "a" }, "spec.namespaces must be a list"],
  ])("refuses %j naming the field", (spec, message) => {
    expect(() => specOf(object(spec))).toThrow(message);
  });
});

describe("spec.analysis", () => {
  it("is an analysis document, apiVersion and kind implied", () => {
    const analysis = analysisOf({
      ...spec(),
      analysis: { prometheus: { address: "http://prometheus:9090" }, defaultSlo: {}, onFailure: "rollback" },
    });
    expect(analysis?.onFailure).toBe("rollback");
    expect(analysis?.prometheus.address).toBe("http://prometheus:9090");
    expect(analysisOf(spec())).toBeUndefined();
  });

  it("a wrong one is refused naming the field", () => {
    expect(() => analysisOf({ ...spec(), analysis: { prometheus: { address: "prometheus:9090" } } })).toThrow(
      "spec.analysis of the AmbientMigration is not a valid analysis",
    );
  });
});
