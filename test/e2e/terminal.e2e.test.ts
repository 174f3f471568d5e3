// migrate on a real terminal: the CLI runs in tmux (a real pseudo-terminal, so stderr is a TTY
// and Ctrl-C is the terminal's SIGINT to the foreground process group, as a user would send it).
// The screen, scrollback included, must show every step and gate of the run with ✓, one line per
// change and no manifest; Ctrl-C mid-run records the interruption in the journal and exits 130,
// and a later migrate resumes and finishes. status --watch redraws its table from watches when a
// namespace's label changes, and Ctrl-C ends it with exit 0.

import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connectCluster } from "../../src/cluster/connect.js";
import type { ClusterPort } from "../../src/cluster/port.js";
import type { RunEvent } from "../../src/run/events.js";
import { readJournal } from "../../src/run/journal.js";
import { detailsNamespace } from "./details-sample.js";
import { cli, createNamespace, deleteNamespaces, kubeconfigPath, kubectl, repoRoot } from "./harness.js";

const exec = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "am-e2e-tty-"));
// A tmux server of this file's own (its own socket), with a scrollback long enough for a run.
const socket = join(work, "tmux.sock");
const conf = join(work, "tmux.conf");
writeFileSync(conf, "set -g history-limit 20000\nset -g remain-on-exit on\n");
let port: ClusterPort;

const tmux = (...args: string[]) => exec("tmux", ["-S", socket, "-f", conf, ...args]);

/** Starts the CLI in a 160x40 terminal of its own; its exit code lands in `<name>.exit`. */
async function startInTerminal(name: string, args: string[]): Promise<void> {
  const bin = inject("binDir");
  const quoted = [process.execPath, join(repoRoot, "bin/ambient-migrate.js"), ...args]
    .map((a) => `'${a}'`)
    .join(" ");
  const env = [
    `KUBECONFIG='${kubeconfigPath()}'`,
    `PATH='${bin ? `${bin}:` : ""}${process.env.PATH}'`,
    "TERM=xterm-256color",
  ].join(" ");
  await tmux(
    "new-session",
    "-d",
    "-s",
    name,
    "-x",
    "160",
    "-y",
    "40",
    `cd '${work}' && env ${env} ${quoted}; echo $? > '${join(work, `${name}.exit`)}'`,
  );
}

/** The screen and its scrollback, as text (tmux joins wrapped lines with -J). */
async function screen(name: string): Promise<string> {
  return (await tmux("capture-pane", "-p", "-J", "-S", "-", "-t", name)).stdout;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const seen = await probe();
    if (seen !== undefined) return seen;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const exitCode = (name: string) =>
  until(`${name} to exit`, async () => {
    const file = join(work, `${name}.exit`);
    return existsSync(file) && readFileSync(file, "utf8").trim() !== ""
      ? Number(readFileSync(file, "utf8").trim())
      : undefined;
  });

/** The run's events, from the log file the run wrote beside its backup. */
function loggedEvents(backupDir: string): RunEvent[] {
  const logs = readdirSync(backupDir).filter((f) => /^migrate-.*\.log$/.test(f));
  return logs.flatMap((f) =>
    readFileSync(join(backupDir, f), "utf8")
      .split("\n")
      .filter((l) => / event {4}\{/.test(l))
      .map((l) => JSON.parse(l.slice(l.indexOf("{"))) as RunEvent),
  );
}

beforeAll(() => {
  port = connectCluster({ kubeconfig: kubeconfigPath() }, () => {});
});

afterAll(async () => {
  await tmux("kill-server").catch(() => undefined);
  await deleteNamespaces();
});

describe.concurrent("on a terminal (tmux)", () => {
  it("shows every step and gate with ✓, one line per change; the manifests are in the log", async () => {
    const ns = await detailsNamespace("tty-tree");
    const backup = join(work, ns);
    await startInTerminal(ns, ["migrate", "-n", ns, "--yes", "--timeout", "2m", "--backup-dir", backup]);
    expect(await exitCode(ns)).toBe(0);
    const text = await screen(ns);
    const events = loggedEvents(backup);
    expect(text).toContain(`▸ ${ns}`);
    for (const step of [1, 2, 3, 4, 5, 6]) expect(text).toMatch(new RegExp(`✓ step ${step}: `));
    // Every gate that passed, by its description, with its time; every change on one line.
    const gates = events.filter((e) => e.event === "gate" && e.phase === "passed");
    expect(gates.length).toBeGreaterThan(5);
    for (const gate of gates)
      if (gate.event === "gate") expect(text).toContain(`✓ gate: ${gate.description}`);
    const changes = events.filter((e) => e.event === "change");
    for (const change of changes)
      if (change.event === "change") expect(text).toContain(`${change.phase} ${change.id}: `);
    expect(text).not.toContain("<<EOF");
    expect(text).toMatch(new RegExp(`✓ ${ns}: migrated`));
    expect(text).toMatch(/full log: .*migrate-.*\.log/);
    expect(text).toMatch(/NAMESPACE\s+RESULT/);
  });

  it("Ctrl-C records the interruption in the journal and exits 130; migrate again resumes", async () => {
    const ns = await detailsNamespace("tty-sigint");
    const backup = join(work, ns);
    const args = ["migrate", "-n", ns, "--yes", "--timeout", "2m", "--backup-dir", backup];
    await startInTerminal(ns, args);
    // The tree draws step 2 with its spinner: the run is under way, and far from done.
    await until("step 2 on the screen", async () => (/step 2: /.test(await screen(ns)) ? true : undefined));
    await tmux("send-keys", "-t", ns, "C-c");
    expect(await exitCode(ns)).toBe(130);
    const text = await screen(ns);
    expect(text).toContain("SIGINT: finishing the current change");
    expect(text).toMatch(/interrupted during step \d of/);
    const journal = await readJournal(port, ns);
    expect(journal).toMatchObject({ status: "interrupted", failure: "interrupted by a signal" });
    expect(journal?.completedSteps).not.toContain(6);
    const resumed = await cli(args);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain("resuming the run recorded in the journal");
    expect(await readJournal(port, ns)).toMatchObject({ status: "done" });
  });

  it("status --watch: a label change shows up in the table; Ctrl-C exits 0", async () => {
    const ns = await createNamespace("tty-watch", { "istio-injection": "enabled" });
    const name = `${ns}-status`;
    await startInTerminal(name, ["status", "-n", ns, "--watch"]);
    const row = (text: string) => text.split("\n").find((l) => l.startsWith(`${ns} `)) ?? "";
    await until("the table", async () =>
      /istio-injection=enabled/.test(row(await screen(name))) ? true : undefined,
    );
    expect(row(await screen(name))).not.toContain("ambient");
    await kubectl(["label", "namespace", ns, "istio.io/dataplane-mode=ambient"]);
    await until(
      "the changed row",
      async () => (/ambient/.test(row(await screen(name))) ? true : undefined),
      30_000,
    );
    await tmux("send-keys", "-t", name, "C-c");
    expect(await exitCode(name)).toBe(0);
    // Redrawn in place: the table's header is on the screen once.
    expect((await screen(name)).match(/^NAMESPACE /gm)).toHaveLength(1);
  });
});
