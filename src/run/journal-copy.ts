// A copy of each namespace's journal beside its backups (--backup-dir), written with every
// journal write. The journal lives in the cluster so that any machine can resume; the copy is
// what lets the machine that ran a migration rebuild it when someone deletes the ConfigMap
// mid-run. Without the copy, a namespace that shows the tool's traces but has no journal is
// refused with what was found: the values its changes replaced would be unknown.

import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { concurrentEdit } from "../cluster/errors.js";
import { managedFieldsOf } from "../cluster/managed-fields.js";
import type { ClusterPort } from "../cluster/port.js";
import { K, kindInfo } from "../inventory/kinds.js";
import { FIELD_MANAGER, MANAGED_BY, MANAGED_BY_LABEL } from "../ownership.js";
import { JOURNAL_NAME, type Journal } from "./journal.js";

export function journalCopyPath(dir: string, namespace: string): string {
  return resolve(dir, `${namespace}.journal.json`);
}

/**
 * Writes the copy atomically (a crash leaves the previous one whole); resolved once it is renamed
 * into place, so a caller that awaits it changes nothing before the copy is there. Asynchronous:
 * a synchronous write and rename (ext4 flushes the new file's data first) blocked every
 * namespace's run, 25 times per namespace, not only the one that saved.
 */
export async function saveJournalCopy(dir: string, journal: Journal): Promise<void> {
  const path = journalCopyPath(dir, journal.namespace);
  const text = JSON.stringify(journal, null, 1);
  // The directory is made when a write finds it missing, not before each of the many saves.
  await writeFile(`${path}.partial`, text).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
    await mkdir(dir, { recursive: true });
    await writeFile(`${path}.partial`, text);
  });
  await rename(`${path}.partial`, path);
}

export function readJournalCopy(dir: string, namespace: string): Journal | undefined {
  const path = journalCopyPath(dir, namespace);
  if (!existsSync(path)) return undefined;
  const journal = JSON.parse(readFileSync(path, "utf8")) as Journal;
  return journal.namespace === namespace ? journal : undefined;
}

/**
 * What in the namespace shows that a migration by this tool is under way: migration labels
 * the tool wrote (managedFields), or objects it created (managed-by label).
 */
export async function migrationTraces(port: ClusterPort, namespace: string): Promise<string[]> {
  const traces: string[] = [];
  const ns = await port.get({ apiVersion: "v1", kind: "Namespace", name: namespace });
  for (const label of ["istio.io/dataplane-mode", "istio.io/use-waypoint"]) {
    if (ns?.metadata.labels?.[label] === undefined) continue;
    const ours = managedFieldsOf(ns).some(
      (e) => e.manager === FIELD_MANAGER && JSON.stringify(e.fieldsV1 ?? {}).includes(`"f:${label}"`),
    );
    if (ours) traces.push(`label ${label}=${ns.metadata.labels[label]} set by ${FIELD_MANAGER}`);
  }
  for (const key of [K.Gateway, K.HTTPRoute, K.AuthorizationPolicy, K.Service] as const) {
    const kind = kindInfo(key);
    if (!(await port.hasResource(kind.group, kind.version, kind.plural))) continue;
    const owned = await port.list(kind, namespace, { labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}` });
    for (const o of owned.items) traces.push(`${o.kind}/${o.metadata.name} created by ${MANAGED_BY}`);
  }
  return traces;
}

/** A namespace mid-migration without its journal and without a copy: refused, with what to do. */
export function journalLost(namespace: string, dir: string, traces: readonly string[]): Error {
  return concurrentEdit(
    `namespace ${namespace} shows a migration by ambient-migrate under way but has no journal (ConfigMap ${JOURNAL_NAME}), and there is no copy at ${journalCopyPath(dir, namespace)}`,
    `run again with --backup-dir pointing at the directory the migration used (it holds ${namespace}.journal.json), ` +
      `or copy that file here from the machine that ran it; otherwise undo by hand what the traces show ` +
      `(kubectl label namespace ${namespace} istio.io/dataplane-mode- istio.io/use-waypoint-, restore the injection label it had, delete the objects labelled ${MANAGED_BY_LABEL}=${MANAGED_BY}) and migrate afresh`,
    traces.map((t) => `found: ${t}`),
  );
}
