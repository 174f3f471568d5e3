// What `ambient-migrate backup` does (its flags and help: commands/backup.ts).

import type { Command } from "commander";
import {
  type BackupHeader,
  collectBackup,
  defaultBackupPath,
  writeVerifiedBackup,
} from "../../backup/backup.js";
import { AmbientMigrateError, ExitCode } from "../../errors.js";
import type { KubeObject } from "../../inventory/model.js";
import { clusterPortFor } from "../cluster-loader.js";
import { globalOptions } from "../context.js";
import { structured, table } from "../output.js";
import { type IOStreams, noteTo } from "../streams.js";

interface Written {
  file: string;
  namespaces: string[];
  objects: number;
  byKind: Record<string, number>;
}

function countByKind(objects: readonly KubeObject[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of objects) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
  return counts;
}

export async function action(io: IOStreams, flags: { out?: string }, command: Command): Promise<void> {
  const note = noteTo(io);
  const options = globalOptions(command);
  if (options.filename.length > 0) {
    throw new AmbientMigrateError("backup reads a cluster, not files", ExitCode.usage, "drop -f");
  }
  if (options.namespace.length === 0) {
    throw new AmbientMigrateError(
      "name the namespaces to back up",
      ExitCode.usage,
      "ambient-migrate backup -n NS [-n NS2]",
    );
  }
  const port = await clusterPortFor(options, note);
  const at = new Date();
  const version = command.parent?.version() ?? "unknown";
  const header = (namespaces: string[]): BackupHeader => ({
    cluster: port.server,
    context: port.context,
    time: at.toISOString(),
    toolVersion: version,
    namespaces,
  });
  const groups = flags.out ? [options.namespace] : options.namespace.map((n) => [n]);
  const written: Written[] = [];
  for (const namespaces of groups) {
    const collected = await collectBackup(port, namespaces);
    if (collected.absentKinds.length > 0 && written.length === 0) {
      note(
        `the cluster does not serve ${collected.absentKinds.join(", ")}: nothing of those kinds to back up`,
      );
    }
    const file = flags.out ?? defaultBackupPath(namespaces[0] as string, at);
    writeVerifiedBackup(file, header(namespaces), collected.objects);
    written.push({
      file,
      namespaces,
      objects: collected.objects.length,
      byKind: countByKind(collected.objects),
    });
  }
  io.out.write(
    options.output === "table"
      ? table(
          ["file", "namespaces", "objects", "kinds"],
          written.map((w) => [
            w.file,
            w.namespaces.join(","),
            String(w.objects),
            Object.entries(w.byKind)
              .map(([k, n]) => `${k}:${n}`)
              .join(" "),
          ]),
        )
      : structured({ backups: written }, options.output),
  );
}
