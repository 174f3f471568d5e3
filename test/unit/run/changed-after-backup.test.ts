// Nothing lost: an object that changes after step 5's backup was written is backed up again
// before it is deleted, and rollback restores that newer version, not the older copy.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ClusterPort } from "../../../src/cluster/port.js";
import { migrateNamespace } from "../../../src/run/execute.js";
import { rollbackNamespace } from "../../../src/run/rollback.js";
import { journalWrite, options, planFor, rollbackOptions } from "./helpers.js";
import { l7Policy, NS, SimCluster } from "./sim.js";

const policyRef = {
  apiVersion: l7Policy.apiVersion,
  kind: l7Policy.kind,
  namespace: NS,
  name: l7Policy.metadata.name,
};

/** Someone labels the L7 policy once the backup has been verified, before step 5 deletes it. */
function editAfterBackup(sim: SimCluster): ClusterPort {
  let edited = false;
  return new Proxy(sim, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        const result = await value.apply(target, args);
        const journal = prop === "apply" ? journalWrite(args) : undefined;
        if (!edited && journal?.gates.some((g) => g.gate === "backup-verified")) {
          edited = true;
          await sim.patchLabels(policyRef, { owner: "team-b" });
        }
        return result;
      };
    },
  });
}

describe("an object changed after the backup", () => {
  it("is backed up again before deletion, and rollback restores the newer version", async () => {
    const sim = new SimCluster({ "istio.io/rev": "1-27" });
    const port = editAfterBackup(sim);
    const opts = options();
    expect(await migrateNamespace(port, await planFor(port), opts)).toBe("migrated");
    expect(await sim.get(policyRef)).toBeUndefined();

    const files = readdirSync(opts.backupDir, { recursive: true }).map(String);
    const again = files.find((f) => f.includes(`.authorizationpolicy-${policyRef.name}-rv`));
    expect(again, `backup files: ${files.join(", ")}`).toBeDefined();
    expect(readFileSync(join(opts.backupDir, again!), "utf8")).toContain("owner: team-b");

    await rollbackNamespace(sim, NS, rollbackOptions());
    expect((await sim.get(policyRef))?.metadata.labels).toEqual({ owner: "team-b" });
  });

  it("is deleted from the first backup when it did not change", async () => {
    const sim = new SimCluster({ "istio.io/rev": "1-27" });
    const opts = options();
    expect(await migrateNamespace(sim, await planFor(sim), opts)).toBe("migrated");
    const files = readdirSync(opts.backupDir, { recursive: true }).map(String);
    expect(files.some((f) => f.includes("-rv"))).toBe(false);
  });
});
