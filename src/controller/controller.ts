// The controller's loop while it leads: a watch on AmbientMigrations feeds a work queue; workers
// reconcile one migration each (one action, then again on a fresh read) until nothing is left
// to do. A deleted AmbientMigration is only forgotten: nothing is rolled back (spec.rollback
// is the one way to roll back), and a step under way finishes and stays journalled.

import type { ClusterPort } from "../cluster/port.js";
import { WorkQueue } from "./queue.js";
import type { Reconciler } from "./reconcile.js";
import { MIGRATION_KIND } from "./resource.js";

export interface ControllerOptions {
  port: ClusterPort;
  reconciler: Reconciler;
  /** Migrations reconciled at once (each one's actions stay one at a time). */
  workers: number;
  /** Only AmbientMigrations whose labels match (kubectl -l syntax). */
  selector?: string;
  log: (line: string) => void;
  /** First retry delay after a failure (doubles up to a minute). */
  retryBaseMs?: number;
}

export async function runController(options: ControllerOptions, outer: AbortSignal): Promise<void> {
  const { port, reconciler, log } = options;
  // A watch that fails for good (the CRD removed, RBAC taken away) stops the workers too.
  const failed = new AbortController();
  const signal = AbortSignal.any([outer, failed.signal]);
  const queue = new WorkQueue(options.retryBaseMs);
  /** Spec generations seen: status writes (no new generation) do not requeue. */
  const generations = new Map<string, number>();
  const worker = async () => {
    for (;;) {
      const name = await queue.take(signal);
      if (name === undefined) return;
      try {
        const outcome = await reconciler.reconcile(name, signal).catch((error: Error) => ({
          next: "retry" as const,
          error,
        }));
        if (signal.aborted) return;
        if (outcome.next === "again") {
          queue.succeeded(name);
          queue.add(name);
        } else if (outcome.next === "retry") {
          const delay = queue.retry(name);
          log(`${name}: ${outcome.error.message}; retrying in ${Math.round(delay / 1000)}s`);
        } else queue.succeeded(name);
      } finally {
        queue.done(name);
      }
    }
  };
  const watching = port.watch(
    MIGRATION_KIND,
    undefined,
    (event) => {
      if (event.type === "RELISTED") {
        for (const o of event.objects) {
          generations.set(o.metadata.name, Number(o.metadata.generation ?? 0));
          queue.add(o.metadata.name);
        }
        return;
      }
      const name = event.object.metadata.name;
      if (event.type === "DELETED") {
        generations.delete(name);
        queue.forget(name);
        log(`${name}: deleted; nothing is rolled back (spec.rollback: true does that)`);
        return;
      }
      const generation = Number(event.object.metadata.generation ?? 0);
      if (event.type === "ADDED" || generations.get(name) !== generation) {
        generations.set(name, generation);
        queue.add(name);
      }
    },
    { signal, ...(options.selector ? { labelSelector: options.selector } : {}) },
  );
  const workers = Promise.all(Array.from({ length: options.workers }, worker));
  try {
    await watching;
  } catch (err) {
    failed.abort(err);
    throw err;
  } finally {
    await workers;
    queue.close();
  }
}
