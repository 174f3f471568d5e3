// The verified backup of what step 5 deletes, written before anything is deleted.

import { existsSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { collectBackup, writeVerifiedBackup } from "../backup/backup.js";
import type { BackupVerifiedGate } from "../gates/backup-verified.js";
import { gateVerify } from "../gates/index.js";
import type { RoutesEquivalentGate } from "../gates/routes-equivalent.js";
import type { ObjectRef } from "../inventory/identity.js";
import { resourceOf } from "../kubectl.js";
import type { ChangeHandler } from "./handler.js";

/** Save the objects that later changes delete, stripped of server fields; verified before going on. */
export interface BackupChange {
  type: "backup";
  namespace: string;
  file: string;
  targets: ObjectRef[];
  waitFor: BackupVerifiedGate;
  /** Also holds before anything is deleted: the waypoint routes as the sidecars did. */
  routesVerified?: RoutesEquivalentGate;
}

const gatesOf = (c: BackupChange) => [c.waitFor, ...(c.routesVerified ? [c.routesVerified] : [])];

const STRIP_SERVER_FIELDS =
  "jq 'del(.items[].metadata | .resourceVersion, .uid, .creationTimestamp, .generation, .managedFields) | del(.items[].status)'";

function getLine(c: BackupChange): string {
  const names = c.targets.map((t) => `${resourceOf(t)}/${t.name}`).join(" ");
  return `kubectl get ${names} -n ${c.namespace} -o json | ${STRIP_SERVER_FIELDS} > ${c.file}`;
}

export const backup: ChangeHandler<BackupChange> = {
  commands: (c) => [getLine(c), ...gatesOf(c).flatMap(gateVerify)],
  rollback: () => [],
  target: (c) => `backup/${c.namespace}/${c.file}`,
  gatesAfter: gatesOf,
  async perform(c, ctx) {
    const file = ctx.run.backupFile ?? resolve(ctx.backupDir, c.file);
    ctx.run.backupFile = file;
    ctx.entry.backupFile = file;
    await ctx.save();
    ctx.out(getLine(c));
    if (existsSync(file)) {
      // Written by this run before it stopped: writeVerifiedBackup renames a verified file into place.
      return `backup ${file} was written before`;
    }
    rmSync(`${file}.partial`, { force: true });
    const collected = await collectBackup(ctx.port, [c.namespace]);
    writeVerifiedBackup(
      file,
      {
        cluster: ctx.port.server,
        context: ctx.port.context,
        time: ctx.now().toISOString(),
        toolVersion: ctx.toolVersion,
        namespaces: [c.namespace],
      },
      collected.objects,
    );
    ctx.progress(`  backup written: ${file} (${collected.objects.length} objects)`);
    return undefined;
  },
  async serverDryRun(_c, { out }) {
    out("# (the backup file is not written in a dry run)");
  },
  // The file stays: it is what rollback restores deleted objects from.
  undo: async () => undefined,
};
