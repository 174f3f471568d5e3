// `migrate --to-step N`: the run stops after step N, the journal says so, and a later run goes on
// from the next step (re-checking the gates of the last completed one).

import { describe, expect, it } from "vitest";
import { journalSummary, readJournal } from "../../../src/run/journal.js";
import { migrate } from "./helpers.js";
import { NS, SimCluster } from "./sim.js";

describe("migrate --to-step", () => {
  it("stops after the step, journals it, and a later migrate continues from there", async () => {
    const sim = new SimCluster({ "istio.io/rev": "1-27" });
    const progress: string[] = [];
    expect(await migrate(sim, { toStep: 2, progress: (l) => progress.push(l) })).toBe("paused");
    const paused = await readJournal(sim, NS);
    expect(paused).toMatchObject({ status: "paused", currentStep: 2, completedSteps: [1, 2] });
    expect(paused && journalSummary(paused)).toBe("paused after step 2 (--to-step)");
    expect(progress).toContain("stopped after step 2 (--to-step); run migrate again to go on from step 3");
    // Steps 1 and 2 are made, step 3 is not: the injection label is still there.
    expect(sim.nsLabels()).toEqual({
      "istio.io/rev": "1-27",
      "istio.io/use-waypoint": "waypoint",
      "istio.io/dataplane-mode": "ambient",
    });
    expect(paused?.changes.every((c) => c.step <= 2)).toBe(true);

    expect(await migrate(sim, { toStep: 4 })).toBe("paused");
    expect(await readJournal(sim, NS)).toMatchObject({ status: "paused", completedSteps: [1, 2, 3, 4] });
    expect(await migrate(sim)).toBe("migrated");
    const done = await readJournal(sim, NS);
    expect(done).toMatchObject({ status: "done", completedSteps: [1, 2, 3, 4, 5, 6] });
    // Each change was made once: the resumed runs followed the journal's plan.
    expect(new Set(done?.changes.map((c) => c.id)).size).toBe(done?.changes.length);
    expect(sim.nsLabels()).toEqual({
      "istio.io/use-waypoint": "waypoint",
      "istio.io/dataplane-mode": "ambient",
    });
  });

  it("prints only the steps up to N in a client dry run", async () => {
    const sim = new SimCluster({ "istio.io/rev": "1-27" });
    const lines: string[] = [];
    expect(await migrate(sim, { dryRun: "client", toStep: 3, out: (l) => lines.push(l) })).toBe("dry-run");
    expect(lines.filter((l) => l.startsWith("# step "))).toEqual([
      "# step 1: Activate the waypoint",
      "# step 2: Enable ambient mode for the namespace",
      "# step 3: Remove sidecar injection",
    ]);
  });
});
