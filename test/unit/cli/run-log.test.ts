// migrate --log FILE: a real run of the CLI on the simulated cluster; the file holds every
// progress line, every kubectl equivalent with its manifest and every event, timestamped and
// uncoloured, while the terminal shows one line per change and no manifest.

import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setClusterConnector } from "../../../src/cli/cluster-loader.js";
import { run } from "../../../src/cli/main.js";
import type { RunEvent } from "../../../src/run/events.js";
import { SimCluster } from "../run/sim.js";

let restore: Parameters<typeof setClusterConnector>[0] | undefined;
beforeAll(() => {
  restore = setClusterConnector(async () => new SimCluster({ "istio.io/rev": "1-27" }));
});
afterAll(() => {
  if (restore) setClusterConnector(restore);
});

async function migrate(extra: string[]) {
  return cli("migrate", extra);
}

async function cli(command: string, extra: string[], at = mkdtempSync(join(tmpdir(), "am-log-"))) {
  const dir = at;
  let stdout = "";
  let stderr = "";
  const io = {
    out: { write: (t: string) => (stdout += t), isTTY: true },
    // Not a terminal: the live tree (live-tree.test.ts) would draw instead of these lines.
    err: { write: (t: string) => (stderr += t), isTTY: false },
    env: { FORCE_COLOR: "1" },
  };
  process.exitCode = undefined;
  try {
    const args = [command, "-n", "shop", "--yes", "--backup-dir", join(dir, "backup"), ...extra];
    const code = await run(
      args.map((a) => a.replace("DIR", dir)),
      io,
    );
    return { code, stdout, stderr, dir };
  } finally {
    process.exitCode = undefined;
  }
}

const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (progress|kubectl |event {3}|error {3}) /;

describe("migrate --log", () => {
  it("logs everything, timestamped and uncoloured; the terminal gets one line per change", async () => {
    const plain = await migrate([]);
    expect(plain.code).toBe(0);
    const r = await migrate(["--log", "DIR/run.log"]);
    expect(r.code).toBe(0);
    const log = readFileSync(join(r.dir, "run.log"), "utf8");
    const lines = log.trimEnd().split("\n");
    for (const line of lines) expect(line).toMatch(STAMP);
    // The terminal is coloured (FORCE_COLOR), the log never.
    expect(r.stderr).toContain("\u001b[");
    expect(log).not.toContain("\u001b[");
    // Every kubectl line that a run without --log prints on stdout is in the log (the table aside).
    const kubectl = plain.stdout.split("\n").filter((l) => l !== "" && !/^(NAMESPACE|shop)\s/.test(l));
    expect(kubectl.length).toBeGreaterThan(5);
    const logged = lines.filter((l) => l.includes(" kubectl  ")).map((l) => l.replace(STAMP, ""));
    expect(logged).toEqual(kubectl);
    // Every event, the summary last; each step's progress line.
    const events = lines.filter((l) => l.includes(" event    ")).map((l) => JSON.parse(l.replace(STAMP, "")));
    expect(events.at(-1)).toMatchObject({ event: "summary", exitCode: 0 });
    const applied = events.filter((e: RunEvent) => e.event === "change");
    expect(applied.length).toBeGreaterThan(3);
    for (const step of [1, 2, 3, 4, 5, 6]) expect(log).toMatch(new RegExp(`progress step ${step}: `));
    // The terminal: no manifest on stdout, the path, and one line per change on stderr.
    expect(r.stdout).not.toContain("kubectl");
    expect(r.stdout).toMatch(/^NAMESPACE\s+RESULT\nshop\s+migrated\n$/);
    expect(r.stderr).toContain(`full log: ${join(r.dir, "run.log")}`);
    const changeLines = r.stderr.split("\n").filter((l) => /^ {2}(applied|skipped) \d\.\d+: /.test(l));
    expect(changeLines).toHaveLength(applied.length);
  });

  it("logs the error that ends a run", async () => {
    const bad = await migrate(["--log", "DIR/run.log", "-n", "absent"]);
    expect(bad.code).not.toBe(0);
    const log = readFileSync(join(bad.dir, "run.log"), "utf8");
    expect(log).toMatch(/ error {4}.*absent/);
  });

  it("without --log, a real run logs beside the backup and says where; the terminal is as before", async () => {
    const r = await migrate([]);
    expect(r.code).toBe(0);
    const logs = readdirSync(join(r.dir, "backup")).filter((f) => /^migrate-.*\.log$/.test(f));
    expect(logs).toHaveLength(1);
    const path = join(r.dir, "backup", logs[0] ?? "");
    expect(r.stderr).toContain(`full log: ${path}`);
    // Off a terminal without --log, the kubectl equivalents stay on stdout, and are logged too.
    expect(r.stdout).toContain("kubectl label namespace shop");
    expect(readFileSync(path, "utf8")).toMatch(/ kubectl {2}kubectl label namespace shop/);
    // A client dry run changes nothing and logs nothing.
    const dry = await migrate(["--dry-run", "client"]);
    expect(readdirSync(dry.dir)).not.toContain("backup");
  });
});

describe("rollback --log and -o json", () => {
  it("streams NDJSON events valid against the schema, and logs them with the undos' kubectl lines", async () => {
    const first = await migrate([]);
    expect(first.code).toBe(0);
    // Each run connects to a fresh simulated cluster: the rollback rebuilds the journal from the
    // copy migrate kept in --backup-dir, and undoes what it records.
    const r = await cli("rollback", ["-o", "json", "--log", "DIR/rollback.log"], first.dir);
    expect(r.code, r.stderr).toBe(0);
    const schema = JSON.parse(
      readFileSync(new URL("../../../docs/events.schema.json", import.meta.url), "utf8"),
    );
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const events = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    for (const e of events) expect(validate(e), ajv.errorsText(validate.errors)).toBe(true);
    expect(events.filter((e) => e.event === "change" && e.phase === "undone").length).toBeGreaterThan(2);
    expect(events.at(-1)).toMatchObject({
      event: "summary",
      exitCode: 0,
      namespaces: [{ namespace: "shop", result: "rolled-back" }],
    });
    const log = readFileSync(join(first.dir, "rollback.log"), "utf8");
    expect(log).toMatch(/ event {4}\{"time":.*"event":"summary"/);
    expect(r.stderr).toContain(`full log: ${join(first.dir, "rollback.log")}`);
  });
});
