// Step 1's first change: the route tables the namespace's sidecars follow now, recorded before
// the translated HTTPRoutes exist, as the reference step 5's routes-equivalent gate compares the
// waypoint with (verify-routes/reference.ts says why it must be now).

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { readSidecarRoutes, writeRecordedRoutes } from "../verify-routes/reference.js";
import type { ChangeHandler } from "./handler.js";

export interface RecordRoutesChange {
  type: "record-routes";
  namespace: string;
  /** Under the backup directory. */
  file: string;
}

const line = (c: RecordRoutesChange) =>
  `istioctl proxy-config routes <a pod of ${c.namespace} with a sidecar> -n ${c.namespace} -o json > ${c.file}  # the sidecars' routes, before the HTTPRoutes exist`;

export const recordRoutes: ChangeHandler<RecordRoutesChange> = {
  commands: (c) => [line(c)],
  rollback: () => [],
  target: (c) => `routes/${c.namespace}/${c.file}`,
  async perform(c, ctx) {
    const file = resolve(ctx.backupDir, c.file);
    ctx.out(line(c));
    // A resumed run may already have the HTTPRoutes applied: the first record is the only true one.
    if (existsSync(file)) return `sidecar routes ${file} were recorded before`;
    const recorded = await readSidecarRoutes(ctx.port, c.namespace, ctx.now());
    if (typeof recorded === "string") {
      ctx.progress(
        `  sidecar routes not recorded: ${recorded} (step 5 looks for a sidecar client elsewhere)`,
      );
      return `not recorded: ${recorded}`;
    }
    writeRecordedRoutes(file, recorded);
    ctx.progress(`  sidecar routes recorded from ${recorded.pod}: ${file}`);
    return undefined;
  },
  async serverDryRun(_c, { out }) {
    out("# (the sidecar routes are not recorded in a dry run)");
  },
  // The record stays beside the backup: it describes the mesh before the run.
  undo: async () => undefined,
};
