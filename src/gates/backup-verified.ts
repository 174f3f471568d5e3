// The backup file exists, parses, and the apiserver accepts every object in it (dry run).

import { readFileSync } from "node:fs";
import { readBackup } from "../backup/backup.js";
import type { KubeObject } from "../inventory/model.js";
import type { GateHandler } from "./handler.js";
import type { GateContext, GateOutcome } from "./observe.js";

/** The backup file exists, parses, and the API server accepts it (server-side dry-run). */
export interface BackupVerifiedGate {
  type: "backup-verified";
  namespace: string;
  file: string;
}

export const backupVerified: GateHandler<BackupVerifiedGate> = {
  describe: (gate) => `backup ${gate.file} written, readable and accepted by the apiserver`,
  verify: (gate) => [`kubectl apply --dry-run=server -f ${gate.file}  # the backup is readable and valid`],
  observe: (gate, ctx) => verifyBackupFile(ctx, gate.file, gate.namespace, backupVerified.describe(gate)),
};

async function verifyBackupFile(
  ctx: GateContext,
  file: string,
  namespace: string,
  what: string,
): Promise<GateOutcome> {
  let objects: KubeObject[];
  try {
    objects = readBackup(readFileSync(file, "utf8"), file);
  } catch (err) {
    return { passed: false, detail: `${what}: ${(err as Error).message}` };
  }
  const inNamespace = objects.filter((o) => o.metadata.namespace === namespace);
  if (inNamespace.length === 0) return { passed: false, detail: `${what}: no object of ${namespace} in it` };
  for (const object of inNamespace) {
    try {
      await ctx.port.apply(object, { dryRun: true, force: true });
    } catch (err) {
      return {
        passed: false,
        detail: `${what}: the apiserver refuses ${object.kind}/${object.metadata.name}: ${(err as Error).message}`,
      };
    }
  }
  return { passed: true, detail: `${what} (${objects.length} objects)` };
}
