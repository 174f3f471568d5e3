// A sidecar-era object deleted in step 5, only once it is in a verified backup.

import { existsSync, readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { readBackup, writeVerifiedBackup } from "../backup/backup.js";
import { restorePlan } from "../backup/restore.js";
import { stripServerFields } from "../backup/strip.js";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { describeRef, type ObjectRef, objectKey } from "../inventory/identity.js";
import type { KubeObject } from "../inventory/model.js";
import { kubectlTarget } from "../kubectl.js";
import type { ChangeHandler, PerformContext } from "./handler.js";

export interface DeleteChange {
  type: "delete";
  target: ObjectRef;
  reason: string;
  backupFile: string;
}

/** The objects of a backup file that are the target (any version of its group). */
function savedCopies(file: string, target: ObjectRef): KubeObject[] {
  const wanted = objectKey(target);
  return readBackup(readFileSync(file, "utf8"), file).filter((o) => objectKey(o) === wanted);
}

/**
 * A verified backup of one object that changed after the namespace's backup was written,
 * named by its resourceVersion so that a resumed run reuses the file it wrote before.
 */
function backupOfChanged(file: string, current: KubeObject, ctx: PerformContext): string {
  const { kind, metadata } = current;
  const path = `${file.replace(/\.(ya?ml|json)$/, "")}.${kind.toLowerCase()}-${metadata.name}-rv${metadata.resourceVersion ?? "0"}.yaml`;
  if (!existsSync(path)) {
    writeVerifiedBackup(
      path,
      {
        cluster: ctx.port.server,
        context: ctx.port.context,
        time: ctx.now().toISOString(),
        toolVersion: ctx.toolVersion,
        namespaces: [metadata.namespace ?? ""],
      },
      [stripServerFields(current)],
    );
    ctx.progress(`  ${kind}/${metadata.name} changed since the backup: backed up again in ${path}`);
  }
  return path;
}

export const deleteObject: ChangeHandler<DeleteChange> = {
  commands: (c) => [`kubectl delete ${kubectlTarget(c.target)}`],
  rollback: (c) => [`kubectl apply -f ${c.backupFile}  # re-creates the objects step 5 deleted`],
  target: (c) => describeRef(c.target),
  async perform(c, ctx) {
    const { entry, port } = ctx;
    // Step 5 deletes only once the backup gate of this run has passed, and only what the backup holds.
    if (!ctx.run.gates.some((g) => g.gate === "backup-verified") || !ctx.run.backupFile)
      throw new AmbientMigrateError(
        `refusing to delete ${entry.target}: no verified backup recorded`,
        ExitCode.verificationFailed,
        "the backup step must pass first",
      );
    const file = ctx.run.backupFile;
    entry.backupFile ??= file;
    const saved = savedCopies(file, c.target)[0];
    if (!saved)
      throw new AmbientMigrateError(
        `refusing to delete ${entry.target}: it is not in the backup ${file}`,
        ExitCode.verificationFailed,
      );
    const current = await port.get(c.target);
    if (current && !isDeepStrictEqual(stripServerFields(current), saved)) {
      // Changed since the backup was taken: what is deleted must be what is backed up, so
      // this version gets a verified backup of its own, which rollback then restores.
      entry.backupFile = backupOfChanged(file, current, ctx);
    }
    await ctx.save();
    if (!current) return "already absent";
    for (const line of deleteObject.commands(c)) ctx.out(line);
    const rv = current.metadata.resourceVersion;
    await port.delete(c.target, rv ? { resourceVersion: rv } : {});
    return undefined;
  },
  async serverDryRun(c, { port }) {
    await port.delete(c.target, { dryRun: true });
  },
  async undo(c, { port, entry, out, progress, overwrite, skipped }) {
    const file = entry.backupFile ?? c.backupFile;
    const current = await port.get(c.target);
    for (const item of restorePlan(savedCopies(file, c.target), current ? [current] : [], { overwrite })) {
      if (item.action === "create" || item.action === "overwrite") {
        out(`kubectl apply --server-side -f ${file}  # ${item.id} (${item.action})`);
        await port.apply(item.object, { force: true });
      } else if (item.action === "skip") {
        progress(
          `  left alone: ${item.id} exists and differs from the backup (${item.differences.join(", ")}); --overwrite restores it`,
        );
        skipped.push(item.id);
      }
    }
  },
};
