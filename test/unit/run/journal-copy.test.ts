// The journal's copy beside the backups, and the traces that tell a namespace mid-migration.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import { ExitCode } from "../../../src/errors.js";
import type { Journal } from "../../../src/run/journal.js";
import {
  journalCopyPath,
  journalLost,
  migrationTraces,
  readJournalCopy,
  saveJournalCopy,
} from "../../../src/run/journal-copy.js";

const journal = { namespace: "shop", status: "running", changes: [] } as unknown as Journal;

describe("journal copy", () => {
  it("is written atomically beside the backups and read back for its namespace only", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "am-copy-")), "nested");
    await saveJournalCopy(dir, journal);
    expect(journalCopyPath(dir, "shop")).toBe(join(dir, "shop.journal.json"));
    expect(readJournalCopy(dir, "shop")).toEqual(journal);
    expect(readJournalCopy(dir, "other")).toBeUndefined();
  });

  it("finds the labels the tool wrote and the objects it created", async () => {
    const port = new FakeClusterPort([
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name: "shop",
          labels: { "istio.io/dataplane-mode": "ambient", "istio-injection": "enabled" },
          managedFields: [
            {
              manager: "ambient-migrate",
              operation: "Update",
              fieldsV1: { "f:metadata": { "f:labels": { "f:istio.io/dataplane-mode": {} } } },
            },
          ],
        },
      },
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: {
          name: "waypoint",
          namespace: "shop",
          labels: { "app.kubernetes.io/managed-by": "ambient-migrate" },
        },
      },
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "mine", namespace: "shop" },
      },
    ]);
    expect(await migrationTraces(port, "shop")).toEqual([
      "label istio.io/dataplane-mode=ambient set by ambient-migrate",
      "Gateway/waypoint created by ambient-migrate",
    ]);
    const refused = journalLost("shop", "/backups", [
      "label istio.io/dataplane-mode=ambient set by ambient-migrate",
    ]) as never as {
      exitCode: number;
      message: string;
      details: string[];
    };
    expect(refused.exitCode).toBe(ExitCode.conflict);
    expect(refused.message).toContain("no copy at /backups/shop.journal.json");
    expect(refused.details).toEqual(["found: label istio.io/dataplane-mode=ambient set by ambient-migrate"]);
  });
});
