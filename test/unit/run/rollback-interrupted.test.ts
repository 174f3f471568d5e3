// Ctrl-C during rollback (the signal aborted, as withInterruption does on SIGINT): the journal
// records the interruption, only rollback may go on, and a second rollback finishes, verifying
// the restarts the first one had not seen through.

import { describe, expect, it } from "vitest";
import { ExitCode } from "../../../src/errors.js";
import type { RunEvent } from "../../../src/run/events.js";
import { readJournal } from "../../../src/run/journal.js";
import { rollbackNamespace } from "../../../src/run/rollback.js";
import { failure, migrate, rollbackOptions } from "./helpers.js";
import { NS, SimCluster } from "./sim.js";

const REV = { "istio.io/rev": "1-27" };

describe("rollback interrupted", () => {
  it("between two undos: journalled as interrupted, migrate refuses, a second rollback finishes", async () => {
    const sim = new SimCluster(REV);
    expect(await migrate(sim)).toBe("migrated");
    const ctrl = new AbortController();
    const err = await failure(
      rollbackNamespace(
        sim,
        NS,
        rollbackOptions({ signal: ctrl.signal, events: (e) => e.event === "change" && ctrl.abort() }),
      ),
    );
    expect(err.exitCode).toBe(ExitCode.interrupted);
    expect(err.message).toBe(`rollback of ${NS} interrupted; the journal records where it stopped`);
    const journal = await readJournal(sim, NS);
    expect(journal).toMatchObject({
      status: "interrupted",
      failure: "rollback interrupted by a signal",
      rollbackPending: true,
      rollbacks: [],
    });
    expect(journal?.changes.length).toBeGreaterThan(1);
    expect((await failure(migrate(sim))).message).toContain(
      "a rollback did not finish (rollback interrupted by a signal)",
    );

    const result = await rollbackNamespace(sim, NS, rollbackOptions());
    expect(result.undone).toBe(journal?.changes.length);
    const after = await readJournal(sim, NS);
    expect(after).toMatchObject({ status: "rolled-back", changes: [], rollbacks: [{ verified: true }] });
    expect(after?.rollbackPending).toBeUndefined();
    expect(sim.nsLabels()).toEqual(REV);
  });

  it("while the restarts are verified: a second rollback verifies them and completes that rollback's record", async () => {
    const sim = new SimCluster(REV);
    expect(await migrate(sim)).toBe("migrated");
    sim.rolloutMs = 200;
    const ctrl = new AbortController();
    const err = await failure(
      rollbackNamespace(
        sim,
        NS,
        rollbackOptions({
          timeoutMs: 5000,
          signal: ctrl.signal,
          events: (e) => e.event === "gate" && e.phase === "started" && ctrl.abort(),
        }),
      ),
    );
    expect(err.exitCode).toBe(ExitCode.interrupted);
    const journal = await readJournal(sim, NS);
    expect(journal).toMatchObject({ status: "interrupted", changes: [], rollbacks: [{ verified: false }] });

    const events: RunEvent[] = [];
    const result = await rollbackNamespace(
      sim,
      NS,
      rollbackOptions({ timeoutMs: 5000, events: (e) => events.push(e) }),
    );
    expect(result.undone).toBe(0);
    expect(events.filter((e) => e.event === "gate").map((e) => e.phase)).toContain("passed");
    const after = await readJournal(sim, NS);
    expect(after).toMatchObject({ status: "rolled-back", rollbacks: [{ verified: true }] });
    expect(after?.rollbackPending).toBeUndefined();
  });
});
