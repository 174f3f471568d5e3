// Before every change, the run checks that the ground under it has not moved: it still holds
// the namespace's lock, its journal is still there as it last wrote it, and what its earlier
// changes set is still in place (labels, the waypoint, translated routes). When someone else
// changed one of them, the run stops rather than overwrite (exit 10) and names the manager
// that did it, from the object's managedFields.

import type { Change } from "../changes/index.js";
import { concurrentEdit } from "../cluster/errors.js";
import {
  describeManager,
  foreignOwners,
  foreignSpecWriters,
  latestForeignWriter,
  type ManagedFieldsEntry,
} from "../cluster/managed-fields.js";
import { type ClusterPort, podTemplatePath, templateMetadataOf } from "../cluster/port.js";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { describeRef, refOf } from "../inventory/identity.js";
import { type KubeObject, labelsOf } from "../inventory/model.js";
import { type ChangeEntry, JOURNAL_NAME, type Journal, journalRef } from "./journal.js";

/** The journal itself was deleted or changed by someone else: the run must not write it back. */
export class JournalTampered extends AmbientMigrateError {}

type Planned = (id: string) => Change | undefined;

const signature = (e: ManagedFieldsEntry) => `${e.manager} ${e.operation} ${e.time}`;

function tampered(message: string, hint: string): JournalTampered {
  return new JournalTampered(message, ExitCode.conflict, hint);
}

function resume(namespace: string): string {
  return `ambient-migrate migrate -n ${namespace}`;
}

/** What an entry's change set (or created), to check it is still in place. */
export class Guard {
  /** Writers of applied objects other than the tool, seen when this run started: not news. */
  private readonly baseline = new Map<string, Set<string>>();

  constructor(
    private readonly port: ClusterPort,
    private readonly journal: Journal,
    private readonly planned: Planned,
  ) {}

  /** Records who else had written the objects applied earlier, so only later writes count. */
  async start(): Promise<void> {
    for (const entry of this.done("apply")) {
      const change = this.planned(entry.id);
      if (change?.type !== "apply") continue;
      const live = await this.port.get(refOf(change.object));
      if (live) this.baseline.set(entry.id, new Set(foreignSpecWriters(live).map(signature)));
    }
  }

  private done(type: Change["type"]): ChangeEntry[] {
    return this.journal.changes.filter((c) => c.state === "done" && c.type === type);
  }

  /** The journal ConfigMap is still there, at the version this run wrote last. */
  async journalIntact(lastWritten: string | undefined): Promise<void> {
    const ns = this.journal.namespace;
    const cm = await this.port.get(journalRef(ns));
    if (!cm)
      throw tampered(
        `the journal of ${ns} (ConfigMap ${JOURNAL_NAME}) was deleted during the run; stopped before the next change`,
        `${resume(ns)} rebuilds it from the copy in --backup-dir (or refuses, saying what to do); ambient-migrate rollback ${ns} uses the same copy`,
      );
    if (lastWritten && cm.metadata.resourceVersion !== lastWritten)
      throw tampered(
        `the journal of ${ns} (ConfigMap ${JOURNAL_NAME}) was changed during the run by ${describeManager(latestForeignWriter(cm))}; stopped rather than overwrite it`,
        `only ambient-migrate writes its journal: find out who changed it, then ${resume(ns)} or ambient-migrate rollback ${ns}`,
      );
  }

  /** Every label and object the run's earlier changes set is still as they left it. */
  async changesInPlace(): Promise<void> {
    const ns = this.journal.namespace;
    const read = new Map<string, KubeObject | undefined>();
    const get = async (ref: Parameters<ClusterPort["get"]>[0]) => {
      const key = describeRef(ref);
      if (!read.has(key)) read.set(key, await this.port.get(ref));
      return read.get(key);
    };
    for (const entry of this.journal.changes) {
      if (entry.state !== "done") continue;
      const change = this.planned(entry.id);
      if (change?.type === "label" || change?.type === "template-metadata") {
        const live = await get(change.target);
        if (!live) continue;
        const values = change.type === "label" ? labelsOf(live) : templateMetadataOf(live, change.field);
        const now = values[change.key] ?? null;
        if (now === change.value) continue;
        const path =
          change.type === "label"
            ? ["metadata", "labels", change.key]
            : [...podTemplatePath(change.target.kind), "metadata", change.field, change.key];
        const writer = foreignOwners(live, path)[0] ?? latestForeignWriter(live);
        const where = change.type === "label" ? "" : ` in the pod template's ${change.field}`;
        throw concurrentEdit(
          `${describeRef(change.target)}: ${change.key}${where} was set to ${change.value ?? "(absent)"} by this run (change ${entry.id}) and is now ${now ?? "(absent)"}, changed by ${describeManager(writer)}; stopped rather than overwrite it`,
          `decide which value is right: put ${change.key}=${change.value ?? "(absent)"} back and ${resume(ns)}, or undo the migration with ambient-migrate rollback ${ns}`,
        );
      }
      if (change?.type === "apply") {
        const ref = refOf(change.object);
        const live = await get(ref);
        if (!live)
          throw concurrentEdit(
            `${describeRef(ref)}, applied by this run (change ${entry.id}), was deleted during the run; stopped`,
            `${resume(ns)} applies it again, or ambient-migrate rollback ${ns} undoes the migration`,
          );
        const known = this.baseline.get(entry.id) ?? new Set();
        const writers = foreignSpecWriters(live).filter((w) => !known.has(signature(w)));
        if (writers.length > 0)
          throw concurrentEdit(
            `${describeRef(ref)}, applied by this run (change ${entry.id}), was changed during the run by ${writers.map(describeManager).join(", ")}; stopped rather than overwrite it`,
            `review the change (kubectl get ${ref.kind.toLowerCase()} ${ref.name} -n ${ns} -o yaml --show-managed-fields); ${resume(ns)} keeps it, ambient-migrate rollback ${ns} removes the object`,
          );
      }
    }
  }
}
