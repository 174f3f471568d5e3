// What the executor's tests share: a plan read from the fake cluster as migrate reads it, run
// options that collect the kubectl lines, and a port that dies mid-run like a killed process.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { assess } from "../../../src/assess/assess.js";
import type { ClusterPort } from "../../../src/cluster/port.js";
import { AmbientMigrateError } from "../../../src/errors.js";
import { readCluster } from "../../../src/inventory/from-cluster.js";
import { buildPlan } from "../../../src/plan/build.js";
import type { NamespacePlan } from "../../../src/plan/model.js";
import type { PlanOptions } from "../../../src/plan/options.js";
import { migrateNamespace, type RunOptions } from "../../../src/run/execute.js";
import { JOURNAL_NAME, type Journal, journalFromConfigMap } from "../../../src/run/journal.js";
import type { RollbackOptions } from "../../../src/run/rollback.js";
import { deadHolder, NS, type SimCluster } from "./sim.js";

export async function planFor(port: ClusterPort, planOptions: PlanOptions = {}): Promise<NamespacePlan> {
  const inventory = await readCluster(port);
  const plan = buildPlan(inventory, assess(inventory, [NS]), planOptions).namespaces[0];
  if (!plan) throw new Error("no plan");
  return plan;
}

export function options(extra: Partial<RunOptions> = {}): RunOptions & { lines: string[] } {
  const lines: string[] = [];
  return {
    timeoutMs: 300,
    dryRun: "none",
    holder: deadHolder(),
    backupDir: mkdtempSync(join(tmpdir(), "am-run-")),
    signal: new AbortController().signal,
    out: (l) => lines.push(l),
    progress: () => {},
    toolVersion: "test",
    ztunnelIntervalMs: 20,
    lines,
    ...extra,
  };
}

export function rollbackOptions(extra: Partial<RollbackOptions> = {}): RollbackOptions {
  return {
    toStep: 0,
    overwrite: false,
    timeoutMs: 300,
    holder: deadHolder(),
    signal: new AbortController().signal,
    out: () => {},
    progress: () => {},
    ...extra,
  };
}

export async function migrate(
  port: ClusterPort,
  extra: Partial<RunOptions> = {},
  planOptions: PlanOptions = {},
) {
  return migrateNamespace(port, await planFor(port, planOptions), options(extra));
}

export async function failure(p: Promise<unknown>): Promise<AmbientMigrateError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AmbientMigrateError);
  return err as AmbientMigrateError;
}

/** The port dies (as the process would) right after the first call for which `when` holds. */
export function crashing(sim: SimCluster, when: (verb: string, args: unknown[]) => boolean): ClusterPort {
  let dead = false;
  return new Proxy(sim, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        if (dead) throw new Error("crashed");
        const result = await value.apply(target, args);
        if (when(String(prop), args)) dead = true;
        return result;
      };
    },
  });
}

export function journalWrite(args: unknown[]): Journal | undefined {
  const object = args[0] as { kind?: string; metadata?: { name?: string } } | undefined;
  if (object?.kind !== "ConfigMap" || object.metadata?.name !== JOURNAL_NAME) return undefined;
  return journalFromConfigMap(object as never);
}
