import { describe, expect, it } from "vitest";
import { namespaceStatuses } from "../../../src/cli/actions/status.js";
import { Inventory } from "../../../src/inventory/model.js";
import { journalConfigMap, newJournal } from "../../../src/run/journal.js";
import { NS, namespace } from "./sim.js";

describe("status reads the journal", () => {
  for (const [status, step, shown] of [
    ["failed", 2, "failed at step 2"],
    ["running", 4, "at step 4"],
    ["done", 6, "migrated"],
  ] as const) {
    it(`shows "${shown}"`, () => {
      const journal = newJournal(
        { namespace: NS, steps: [] } as never,
        "host-1-abc",
        new Date("2026-11-01T00:00:00Z"),
      );
      journal.status = status;
      journal.currentStep = step;
      const inventory = new Inventory({ type: "cluster", context: "test" });
      inventory.add(namespace({ "istio.io/dataplane-mode": "ambient" }));
      inventory.add(journalConfigMap(journal));
      expect(namespaceStatuses(inventory, [NS])[0]?.state).toBe(shown);
    });
  }
});
