// The live tree: pure (events in, lines out) and drawn by a real migrate run of the CLI on the
// simulated cluster into a stream that says it is a terminal.

import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setClusterConnector } from "../../../src/cli/cluster-loader.js";
import { fitWidth, LiveTree, liveTreeWanted } from "../../../src/cli/live/terminal.js";
import { elapsed, RunTree } from "../../../src/cli/live/tree.js";
import { run } from "../../../src/cli/main.js";
import { PLAIN } from "../../../src/color.js";
import type { RunEvent } from "../../../src/run/events.js";
import { failure, migrate } from "../run/helpers.js";
import { SimCluster } from "../run/sim.js";

const REV = { "istio.io/rev": "1-27" };

describe("RunTree", () => {
  it("a full run of the executor: every step and gate final with ✓, one line per change", async () => {
    const events: RunEvent[] = [];
    await migrate(new SimCluster(REV), { events: (e) => events.push(e) });
    const tree = new RunTree();
    const final = events.flatMap((e) => tree.event(e));
    expect(final[0]).toBe("▸ shop");
    for (const step of [1, 2, 3, 4, 5, 6])
      expect(final.some((l) => l.includes(`✓ step ${step}: `))).toBe(true);
    const gates = events.filter((e) => e.event === "gate" && e.phase === "passed");
    expect(final.filter((l) => /^ {6}✓ gate: /.test(l))).toHaveLength(gates.length);
    const changes = events.filter((e) => e.event === "change");
    expect(final.filter((l) => /^ {6}[✓↷] (applied|skipped) \d\.\d+: /.test(l))).toHaveLength(changes.length);
    expect(final.at(-1)).toMatch(/^✓ shop: migrated {2}\d/);
    // A heredoc's first line names no object: such a change shows its type and target.
    expect(final.join("\n")).not.toContain("<<");
    expect(final).toContainEqual(
      expect.stringMatching(/^ {6}✓ applied 1\.\d+: apply Gateway\/shop\/waypoint$/),
    );
    // Nothing is left running.
    expect(tree.render(Date.now(), 0)).toEqual([]);
  });

  it("a gate that fails: ✗ with what it saw last, the step and the namespace ✗ with the error", async () => {
    const sim = new SimCluster(REV);
    sim.ztunnelBroken = true;
    const events: RunEvent[] = [];
    const tree = new RunTree();
    const live: string[][] = [];
    await failure(
      migrate(sim, {
        events: (e) => {
          events.push(e);
          tree.event(e);
          live.push(tree.render(Date.parse(e.time), 3));
        },
      }),
    );
    // While the gate waited: a spinner and the elapsed time on its line, under its step.
    const waiting = live.findLast(
      (lines) => lines[0]?.includes("step 2") && lines.some((l) => l.includes("⠸ gate: ")),
    );
    expect(waiting?.[0]).toMatch(/^ {2}⠸ step 2: .* {2}\d+\.\ds$/);
    expect(waiting?.find((l) => l.includes("⠸ gate: "))).toMatch(/^ {6}⠸ gate: .* {2}\d+\.\ds — .+/);
    const replay = new RunTree();
    const final = events.flatMap((e) => replay.event(e));
    expect(final).toContainEqual(expect.stringMatching(/^ {2}✗ step 2: /));
    expect(final).toContainEqual(expect.stringMatching(/^ {6}✗ gate: .* — /));
    expect(final.at(-1)).toMatch(/^✗ shop: step 2 .*did not pass/);
  });

  it("names the namespace on each step when several run at once", () => {
    const tree = new RunTree({ concurrent: true });
    const time = "2026-01-01T00:00:00.000Z";
    tree.event({ time, namespace: "a", event: "namespace", phase: "started" });
    tree.event({ time, namespace: "a", event: "step", phase: "started", step: 1, title: "t" });
    expect(tree.render(Date.parse(time) + 61_500, 0)).toEqual(["  ⠋ a › step 1: t  1m01s"]);
    expect(elapsed(860)).toBe("0.9s");
  });

  it("cuts the changing lines to a narrow terminal's width with an ellipsis; the final ones stay whole", () => {
    let written = "";
    const stream = { write: (t: string) => (written += t), isTTY: true, columns: 40, rows: 20 };
    const start = Date.parse("2026-01-01T00:00:00.000Z");
    let now = start;
    const live = new LiveTree(stream, PLAIN, false, undefined, () => now);
    const time = new Date(start).toISOString();
    const description = "every pod of shop is in ztunnel's workloads with HBONE, as istiod sees them";
    live.event({ time, namespace: "shop", event: "namespace", phase: "started" });
    live.event({
      time,
      namespace: "shop",
      event: "step",
      phase: "started",
      step: 2,
      title: "enable ambient",
    });
    live.start();
    now += 1500;
    written = "";
    live.event({
      time,
      namespace: "shop",
      event: "gate",
      phase: "started",
      step: 2,
      gate: "ztunnel-workloads",
      description,
    });
    // The frame: as many rows as the tree has lines, none wider than the terminal.
    const rows = stripVTControlCharacters(written)
      .split("\n")
      .filter((l) => l !== "");
    expect(rows).toEqual([
      "  ⠋ step 2: enable ambient  1.5s",
      expect.stringMatching(/^ {6}⠋ gate: every pod of shop is in z…$/),
    ]);
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(40);
    // Colours survive the cut; a line that fits is left alone; no width, no cut.
    const red = "\u001b[31mred text that is long\u001b[39m";
    expect(fitWidth([red, "short"], 10)).toEqual(["\u001b[31mred text …\u001b[39m", "short"]);
    expect(fitWidth([description], undefined)).toEqual([description]);
    // What is final goes to the scrollback whole (the terminal wraps it once; it is never redrawn).
    written = "";
    live.stop();
    expect(stripVTControlCharacters(written).replace(/\n/g, "")).toContain(`gate: ${description}`);
  });

  it("is drawn on a terminal only, and never where NDJSON goes to the same terminal", () => {
    const tty = { write: () => true, isTTY: true };
    const pipe = { write: () => true, isTTY: false };
    expect(liveTreeWanted({ out: tty, err: tty, env: {} }, "table")).toBe(true);
    expect(liveTreeWanted({ out: pipe, err: pipe, env: {} }, "table")).toBe(false);
    expect(liveTreeWanted({ out: tty, err: tty, env: { TERM: "dumb" } }, "table")).toBe(false);
    expect(liveTreeWanted({ out: tty, err: tty, env: {} }, "json")).toBe(false);
    expect(liveTreeWanted({ out: pipe, err: tty, env: {} }, "json")).toBe(true);
  });
});

describe("migrate on a terminal", () => {
  let restore: Parameters<typeof setClusterConnector>[0] | undefined;
  beforeAll(() => {
    restore = setClusterConnector(async () => new SimCluster(REV));
  });
  afterAll(() => {
    if (restore) setClusterConnector(restore);
  });

  it("draws the tree, logs the manifests beside the backup and prints the log's path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "am-tree-"));
    let stdout = "";
    let stderr = "";
    const io = {
      out: { write: (t: string) => (stdout += t), isTTY: true },
      err: { write: (t: string) => (stderr += t), isTTY: true, columns: 200, rows: 50 },
      env: {},
    };
    const backup = join(dir, "backup");
    const code = await run(["migrate", "-n", "shop", "--yes", "--backup-dir", backup], io);
    process.exitCode = undefined;
    expect(code).toBe(0);
    const logs = readdirSync(backup).filter((f) => /^migrate-.*\.log$/.test(f));
    expect(logs).toHaveLength(1);
    const path = join(backup, logs[0] ?? "");
    expect(stderr).toContain(`full log: ${path}`);
    const screen = stripVTControlCharacters(stderr);
    for (const step of [1, 2, 3, 4, 5, 6]) expect(screen).toMatch(new RegExp(`✓ step ${step}: `));
    expect(screen).toMatch(/✓ gate: /);
    expect(screen).toMatch(/✓ shop: migrated/);
    // One line per change on the screen, no manifest; the log has the heredocs.
    expect(screen).not.toContain("<<EOF");
    expect(stdout).toMatch(/^NAMESPACE\s+RESULT\nshop\s+migrated\n$/);
    const log = readFileSync(path, "utf8");
    expect(log).toMatch(/ kubectl {2}apiVersion: /);
  });
});
