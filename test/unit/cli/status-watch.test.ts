// status --watch on the simulated cluster's watches: the first table, then only the rows that
// changed (a label patched through the port shows up without any re-list), and SIGINT ends it
// with exit 0.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setClusterConnector } from "../../../src/cli/cluster-loader.js";
import { run } from "../../../src/cli/main.js";
import { SimCluster } from "../run/sim.js";

const sim = new SimCluster({ "istio.io/rev": "1-27" });
let restore: Parameters<typeof setClusterConnector>[0] | undefined;
beforeAll(() => {
  restore = setClusterConnector(async () => sim);
});
afterAll(() => {
  if (restore) setClusterConnector(restore);
});

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe("status --watch", () => {
  it.for(["table", "json"])(
    "-o %s: a label change shows up from the watch; SIGINT exits 0",
    async (output) => {
      let stdout = "";
      const io = {
        out: { write: (t: string) => (stdout += t), isTTY: false },
        err: { write: () => true, isTTY: false },
        env: {},
      };
      const done = run(["status", "-n", "shop", "--watch", "-o", output], io);
      await until("the first table", () => stdout.includes("shop"));
      const lists = sim.calls.filter((c) => c.verb === "list").length;
      expect(stdout).not.toContain("ambient");
      await sim.patchLabels(
        { apiVersion: "v1", kind: "Namespace", name: "shop" },
        { "istio.io/dataplane-mode": "ambient" },
      );
      await until("the changed row", () => stdout.includes("ambient"));
      // Watches, not polling: nothing was listed again.
      expect(sim.calls.filter((c) => c.verb === "list").length).toBe(lists);
      process.emit("SIGINT");
      expect(await done).toBe(0);
      const lines = stdout.trimEnd().split("\n");
      if (output === "json") {
        expect(lines).toHaveLength(2);
        expect(JSON.parse(lines[1] ?? "")).toMatchObject({ namespace: "shop", dataplane: "ambient" });
      } else {
        expect(lines[0]).toMatch(/^NAMESPACE\s+STATE/);
        expect(lines).toHaveLength(3);
        expect(lines[2]).toMatch(/^shop\s.*ambient/);
      }
      await sim.patchLabels(
        { apiVersion: "v1", kind: "Namespace", name: "shop" },
        { "istio.io/dataplane-mode": null },
      );
    },
  );
});
