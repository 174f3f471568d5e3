// observability --apply's live tree: pure (events in, lines out), and drawn by a real run of the
// CLI on the fake cluster into a stream that says it is a terminal; -o json streams its events.

import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setClusterConnector } from "../../../src/cli/cluster-loader.js";
import { ApplyTree } from "../../../src/cli/live/apply-tree.js";
import { run } from "../../../src/cli/main.js";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import type { ApplyEvent } from "../../../src/observability/apply.js";
import { app, dashboards, namespace } from "../observability/apply-fixtures.js";

const cluster = () =>
  new FakeClusterPort([namespace("shop"), namespace("istio-system"), dashboards("shop"), app]);

let restore: Parameters<typeof setClusterConnector>[0] | undefined;
beforeAll(() => {
  restore = setClusterConnector(async () => cluster());
});
afterAll(() => {
  if (restore) setClusterConnector(restore);
});

async function apply(extra: string[], tty: boolean) {
  const dir = mkdtempSync(join(tmpdir(), "am-apply-tree-"));
  let stdout = "";
  let stderr = "";
  const io = {
    out: { write: (t: string) => (stdout += t), isTTY: false },
    err: { write: (t: string) => (stderr += t), isTTY: tty, columns: 200, rows: 50 },
    env: {},
  };
  const args = [
    "observability",
    "-n",
    "shop",
    "--apply",
    "--yes",
    "--backup-dir",
    join(dir, "backup"),
    ...extra,
  ];
  const code = await run(args, io);
  process.exitCode = undefined;
  return { code, stdout, stderr: stripVTControlCharacters(stderr), dir: join(dir, "backup") };
}

const OBJECTS = [
  "update ConfigMap/shop/dashboards",
  "create PodMonitor/istio-system/ztunnel",
  "create PodMonitor/istio-system/waypoints",
  "create PodMonitor/shop/web-metrics",
];

describe("ApplyTree", () => {
  it("the run, the backup and each apply: a spinner while open, ✓ or ✗ and why when done", () => {
    const tree = new ApplyTree();
    const at = (s: number) => new Date(Date.parse("2026-01-01T00:00:00Z") + s * 1000).toISOString();
    const about = {
      event: "apply",
      namespace: "shop",
      action: "update",
      object: "ConfigMap/shop/dashboards",
      why: "1 expression(s) rewritten for mode during",
      command: "kubectl apply",
    } as const;
    const events: ApplyEvent[] = [
      {
        time: at(0),
        event: "observability",
        phase: "started",
        namespaces: ["shop"],
        changes: 1,
        dryRun: "none",
      },
      { time: at(0), event: "backup", phase: "started", path: "/b.yaml", objects: 1 },
    ];
    const final = events.flatMap((e) => tree.event(e));
    expect(final).toEqual(["▸ observability --apply: 1 object(s) to change in shop"]);
    expect(tree.render(Date.parse(at(2.5)), 1)).toEqual(["  ⠙ backup of 1 object(s)  2.5s"]);
    expect(
      tree.event({ time: at(3), event: "backup", phase: "passed", path: "/b.yaml", objects: 1 }),
    ).toEqual(["  ✓ backup of 1 object(s) — written, read back and verified  3.0s"]);
    tree.event({ ...about, time: at(3), phase: "started" });
    expect(tree.render(Date.parse(at(4)), 0)).toEqual([
      "  ⠋ update ConfigMap/shop/dashboards — 1 expression(s) rewritten for mode during  1.0s",
    ]);
    expect(tree.event({ ...about, time: at(4), phase: "failed", error: "forbidden" })).toEqual([
      "  ✗ update ConfigMap/shop/dashboards — 1 expression(s) rewritten for mode during  1.0s — forbidden",
    ]);
    expect(tree.event({ time: at(4), event: "observability", phase: "failed", error: "forbidden" })).toEqual([
      "✗ observability: forbidden  4.0s",
    ]);
    expect(tree.render(Date.parse(at(5)), 0)).toEqual([]);
  });

  it("observability --apply on a terminal: every object ✓, one line each, the manifests in the log", async () => {
    const r = await apply([], true);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("▸ observability --apply: 4 object(s) to change in istio-system, shop");
    expect(r.stderr).toMatch(/✓ backup of 1 object\(s\) — written, read back and verified {2}\d+\.\ds\n/);
    for (const object of OBJECTS) expect(r.stderr).toMatch(new RegExp(`✓ ${object} — .*  \\d+\\.\\ds`));
    expect(r.stderr).toMatch(/✓ observability: 4 object\(s\) changed; backup .* {2}\d+\.\ds/);
    // No manifest on the terminal: the heredocs are in the log beside the backup.
    expect(r.stderr + r.stdout).not.toContain("<<'EOF'");
    expect(r.stdout).toMatch(/^ACTION\s+OBJECT\s+WHY\s+RESULT\n/);
    const [log] = readdirSync(r.dir).filter((f) => /^observability-.*\.log$/.test(f));
    expect(r.stderr).toContain(`full log: ${join(r.dir, log ?? "")}`);
    expect(readFileSync(join(r.dir, log ?? ""), "utf8")).toMatch(
      / kubectl {2}kubectl apply --server-side .*<<'EOF'/,
    );
  });

  it("-o json: NDJSON events only, each valid against the published schema, the run passed last", async () => {
    const schema = JSON.parse(
      readFileSync(new URL("../../../docs/events.schema.json", import.meta.url), "utf8"),
    );
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const r = await apply(["-o", "json"], false);
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    for (const e of events) expect(validate(e), ajv.errorsText(validate.errors)).toBe(true);
    expect(events[0]).toMatchObject({ event: "observability", phase: "started", changes: 4 });
    expect(
      events.filter((e) => e.event === "apply" && e.phase === "passed").map((e) => `${e.action} ${e.object}`),
    ).toEqual(OBJECTS);
    expect(events.at(-1)).toMatchObject({ event: "observability", phase: "passed", applied: 4 });
    // Off a terminal: the plain lines, as before.
    expect(r.stderr).toMatch(/backup of 1 object\(s\) written to .*, read back and verified/);
    expect(r.stderr).toContain("create PodMonitor/shop/web-metrics: done");
  });
});
