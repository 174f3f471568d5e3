// Rollouts take time on a real cluster: the executor waits on the rollouts-complete gate until
// the controller reports the new pods, and only then goes on (the next steps' gates would judge
// old sidecar pods otherwise).

import { describe, expect, it } from "vitest";
import { readJournal } from "../../../src/run/journal.js";
import { migrate } from "./helpers.js";
import { NS, SimCluster } from "./sim.js";

describe("migrate with rollouts that take time", () => {
  it("waits for each rollout to complete before the next step", async () => {
    const sim = new SimCluster({ "istio.io/rev": "1-27" });
    sim.rolloutMs = 150;
    const progress: { at: number; line: string }[] = [];
    const result = await migrate(sim, {
      timeoutMs: 5000,
      progress: (line) => progress.push({ at: Date.now(), line }),
    });
    expect(result).toBe("migrated");
    const lines = progress.map((p) => p.line);
    expect(lines).toContain(
      "  waiting: rollout of deployment/db: waiting for the controller to observe the new generation",
    );
    expect(lines).toContain("  waiting: rollout of deployment/db: 1 old replicas pending termination");
    // The gate passed only once both rollouts were done.
    const passed = progress.find((p) => p.line.startsWith("  passed: rollouts complete"));
    expect(passed).toBeDefined();
    for (const name of ["web", "db"]) expect(sim.rolloutDone.get(name)).toBeLessThanOrEqual(passed?.at ?? 0);
    expect(
      sim.pods().every((p) => !p.spec.containers.some((c: { name: string }) => c.name === "istio-proxy")),
    ).toBe(true);
    expect((await readJournal(sim, NS))?.status).toBe("done");
  });
});
