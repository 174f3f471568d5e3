// A fresh migration of a namespace writes its backup and its record of the sidecars' routes under
// fixed names in --backup-dir. Files there from an earlier migration (rolled back since) are not
// this run's: reused, step 5 would verify and later restore an old backup, and compare the
// waypoint with routes the sidecars no longer have. They are renamed aside, never deleted.

import { existsSync, renameSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import { backupFileFor, routesFileFor } from "../plan/model.js";

/** Renames the earlier migration's files; returns "old → new" for each one moved. */
export function setAsideEarlierFiles(backupDir: string, namespace: string, now: Date): string[] {
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  const moved: string[] = [];
  for (const name of [backupFileFor(namespace), routesFileFor(namespace)]) {
    const file = resolve(backupDir, name);
    if (!existsSync(file)) continue;
    const ext = extname(name);
    let aside = resolve(backupDir, `${basename(name, ext)}.earlier-${stamp}${ext}`);
    for (let n = 2; existsSync(aside); n++)
      aside = resolve(backupDir, `${basename(name, ext)}.earlier-${stamp}-${n}${ext}`);
    renameSync(file, aside);
    moved.push(`${file} → ${aside}`);
  }
  return moved;
}
