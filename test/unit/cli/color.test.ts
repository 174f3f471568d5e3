// Colour discipline, one test per rule: --no-color, NO_COLOR (no-color.org), FORCE_COLOR, TERM=dumb,
// and no ANSI escape on a stream that is not a terminal. The CLI-level tests run the real
// command line on writers that say whether they are a terminal, as process.stdout does.

import { describe, expect, it } from "vitest";
import { run } from "../../../src/cli/main.js";
import { colorEnabled, styleOf, uncoloured } from "../../../src/color.js";
import { migrate } from "../run/helpers.js";
import { SimCluster } from "../run/sim.js";

const ESC = "\u001b[";

describe("colorEnabled", () => {
  const tty = { flag: true, env: {}, isTTY: true };
  it("colours a terminal and nothing else by default", () => {
    expect(colorEnabled(tty)).toBe(true);
    expect(colorEnabled({ ...tty, isTTY: false })).toBe(false);
  });
  it("--no-color wins over everything, FORCE_COLOR included", () => {
    expect(colorEnabled({ ...tty, flag: false })).toBe(false);
    expect(colorEnabled({ ...tty, flag: false, env: { FORCE_COLOR: "1" } })).toBe(false);
  });
  it("NO_COLOR set and not empty turns colour off on a terminal; empty NO_COLOR is ignored", () => {
    expect(colorEnabled({ ...tty, env: { NO_COLOR: "1" } })).toBe(false);
    expect(colorEnabled({ ...tty, env: { NO_COLOR: "anything" } })).toBe(false);
    expect(colorEnabled({ ...tty, env: { NO_COLOR: "" } })).toBe(true);
  });
  it("FORCE_COLOR colours off a terminal; FORCE_COLOR=0 or false never colours", () => {
    expect(colorEnabled({ ...tty, isTTY: false, env: { FORCE_COLOR: "1" } })).toBe(true);
    expect(colorEnabled({ ...tty, isTTY: false, env: { FORCE_COLOR: "" } })).toBe(true);
    expect(colorEnabled({ ...tty, env: { FORCE_COLOR: "0" } })).toBe(false);
    expect(colorEnabled({ ...tty, env: { FORCE_COLOR: "false" } })).toBe(false);
  });
  it("TERM=dumb is not coloured", () => {
    expect(colorEnabled({ ...tty, env: { TERM: "dumb" } })).toBe(false);
  });
  it("styles are the identity when off, and uncoloured() takes colour back out", () => {
    expect(styleOf(false).fail("x")).toBe("x");
    const red = styleOf(true).fail("x");
    expect(red).toContain(ESC);
    expect(uncoloured(red)).toBe("x");
  });
});

/** Runs the CLI with stdout/stderr that are (or are not) terminals, in the given environment. */
async function cli(args: string[], opts: { tty: boolean; env?: Record<string, string> }) {
  let stdout = "";
  let stderr = "";
  const io = {
    out: { write: (t: string) => (stdout += t), isTTY: opts.tty },
    err: { write: (t: string) => (stderr += t), isTTY: opts.tty },
    env: opts.env ?? {},
  };
  process.exitCode = undefined;
  try {
    return { code: await run(args, io), stdout, stderr };
  } finally {
    process.exitCode = undefined;
  }
}

// An error with a hint: -f that does not exist (exit 4 or 5, error: and hint: on stderr).
const failing = ["assess", "-f", "/nonexistent/ambient-migrate-color-test"];

describe("the CLI's colour", () => {
  it("colours error: on a terminal", async () => {
    const r = await cli(failing, { tty: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${ESC}`);
    expect(uncoloured(r.stderr)).toMatch(/^error: /);
  });
  it("writes no ANSI escape when stdout and stderr are not terminals", async () => {
    const bad = await cli(failing, { tty: false });
    expect(bad.stderr).toMatch(/^error: /);
    expect(bad.stderr).not.toContain(ESC);
    const good = await cli(["plan", "-f", "examples/bookinfo-mesh"], { tty: false });
    expect(good.stdout.length).toBeGreaterThan(100);
    expect(good.stdout + good.stderr).not.toContain(ESC);
  });
  it("--no-color: none on a terminal", async () => {
    const r = await cli([...failing, "--no-color"], { tty: true });
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).not.toContain(ESC);
  });
  it("NO_COLOR: none on a terminal", async () => {
    const r = await cli(failing, { tty: true, env: { NO_COLOR: "1" } });
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).not.toContain(ESC);
  });
  it("FORCE_COLOR: colour into a pipe", async () => {
    const r = await cli(failing, { tty: false, env: { FORCE_COLOR: "1" } });
    expect(r.stderr).toContain(ESC);
  });
});

describe("migrate's progress", () => {
  const REV = { "istio.io/rev": "1-27" };
  it("marks steps and passed gates in colour when given a coloured style, the same words plain", async () => {
    const coloured: string[] = [];
    await migrate(new SimCluster(REV), { progress: (l) => coloured.push(l), style: styleOf(true) });
    const plain: string[] = [];
    await migrate(new SimCluster(REV), { progress: (l) => plain.push(l) });
    expect(coloured.some((l) => l.includes(ESC) && uncoloured(l).startsWith("step 1: "))).toBe(true);
    expect(coloured.some((l) => l.includes(ESC) && uncoloured(l).startsWith("  passed: "))).toBe(true);
    expect(plain.join("\n")).not.toContain(ESC);
    // Each run backs up into its own temporary folder.
    const same = (l: string) => uncoloured(l).replace(/am-run-\w+/g, "am-run-X");
    expect(coloured.map(same)).toEqual(plain.map(same));
  });
});
