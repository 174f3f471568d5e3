// migrate, rollback and observability --apply on a real terminal: the CLI runs in tmux (a real
// pseudo-terminal, so stderr is a TTY and Ctrl-C is the terminal's SIGINT to the foreground
// process group, as a user would send it). The screen, scrollback included, must show every step
// and gate of the run with ✓ (every namespace of migrate --waves --parallel 2 too), one line per
// change and no manifest; Ctrl-C mid-run records the interruption in the journal and exits 130,
// and a later migrate or rollback finishes. status --watch redraws its table from watches when a
// namespace's label changes, and Ctrl-C ends it with exit 0. Every wait is for content on the
// screen or in the cluster, never a fixed sleep.

import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connectCluster } from "../../src/cluster/connect.js";
import type { ClusterPort } from "../../src/cluster/port.js";
import type { RunEvent } from "../../src/run/events.js";
import { readJournal } from "../../src/run/journal.js";
import { detailsNamespace } from "./details-sample.js";
import {
  apply,
  appWithMetrics,
  cli,
  createNamespace,
  deleteNamespaces,
  kubeconfigPath,
  kubectl,
  kubectlJson,
  repoRoot,
  twoWaveNamespaces,
} from "./harness.js";

const exec = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "am-e2e-tty-"));
// A tmux server of this file's own (its own socket), with a scrollback long enough for a run.
const socket = join(work, "tmux.sock");
const conf = join(work, "tmux.conf");
writeFileSync(conf, "set -g history-limit 20000\nset -g remain-on-exit on\n");
let port: ClusterPort;

const tmux = (...args: string[]) => exec("tmux", ["-S", socket, "-f", conf, ...args]);

/** Starts the CLI in a 160x40 terminal of its own (stdout to `stdout` if given); its exit code lands in `<name>.exit`. */
async function startInTerminal(name: string, args: string[], stdout?: string): Promise<void> {
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
    `cd '${work}' && env ${env} ${quoted}${stdout ? ` > '${stdout}'` : ""}; echo $? > '${join(work, `${name}.exit`)}'`,
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
function loggedEvents(backupDir: string, command = "migrate"): RunEvent[] {
  const logs = readdirSync(backupDir).filter((f) => new RegExp(`^${command}-.*\\.log$`).test(f));
  return logs.flatMap((f) =>
    readFileSync(join(backupDir, f), "utf8")
      .split("\n")
      .filter((l) => / event {4}\{/.test(l))
      .map((l) => JSON.parse(l.slice(l.indexOf("{"))) as RunEvent),
  );
}

const events = (file: string) =>
  readFileSync(file, "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const schema = JSON.parse(readFileSync(join(repoRoot, "docs/events.schema.json"), "utf8"));
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

const dashboardConfigMap = JSON.stringify({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "dashboards", labels: { grafana_dashboard: "1" } },
  data: {
    "service.json": JSON.stringify({
      panels: [{ id: 1, targets: [{ expr: 'sum(rate(istio_requests_total{reporter="destination"}[1m]))' }] }],
    }),
  },
});

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

  it("rollback: Ctrl-C while the restarts roll out records the interruption and exits 130; a second rollback finishes", async () => {
    const ns = await detailsNamespace("tty-rollback");
    const backup = join(work, ns);
    const migrated = await cli(["migrate", "-n", ns, "--yes", "--timeout", "2m", "--backup-dir", backup]);
    expect(migrated.code, migrated.stderr).toBe(0);
    // A quota of one pod: the restarted Deployment cannot start its new pod, so the rollback
    // waits on the rollout until it is interrupted.
    await apply(
      '{"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "one-pod"}, "spec": {"hard": {"pods": "1"}}}',
      ns,
    );
    const name = `${ns}-rollback`;
    await startInTerminal(name, ["rollback", ns, "--yes", "--timeout", "2m", "--backup-dir", backup]);
    await until("the restarts' gate waiting", async () =>
      /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] gate: the restarted workloads roll out/.test(await screen(name)) ? true : undefined,
    );
    await tmux("send-keys", "-t", name, "C-c");
    expect(await exitCode(name)).toBe(130);
    const text = await screen(name);
    expect(text).toContain("SIGINT: finishing the current change");
    expect(text).toContain(`rollback of ${ns} interrupted; the journal records where it stopped`);
    // Every undo on one line with ✓, under its step.
    const undone = loggedEvents(backup, "rollback").filter((e) => e.event === "change");
    expect(undone.length).toBeGreaterThan(3);
    for (const change of undone)
      if (change.event === "change") expect(text).toContain(`✓ undone ${change.id}: `);
    expect(text).toMatch(/✓ step \d: undo: /);
    expect(await readJournal(port, ns)).toMatchObject({
      status: "interrupted",
      failure: "rollback interrupted by a signal",
      rollbackPending: true,
    });
    // migrate may not go on from a half rollback; a second rollback finishes it once pods can start.
    const refused = await cli(["migrate", "-n", ns, "--yes", "--backup-dir", backup]);
    expect(refused.code).toBe(10);
    expect(refused.stderr).toContain("a rollback did not finish (rollback interrupted by a signal)");
    await kubectl(["-n", ns, "delete", "resourcequota", "one-pod"]);
    const again = await cli(["rollback", ns, "--yes", "--timeout", "2m", "--backup-dir", backup]);
    expect(again.code, again.stderr).toBe(0);
    const journal = await readJournal(port, ns);
    expect(journal).toMatchObject({ status: "rolled-back", changes: [], rollbacks: [{ verified: true }] });
    expect(journal?.rollbackPending).toBeUndefined();
  });

  it("migrate --waves --parallel 2: every namespace, step and gate with ✓; -o json to a file is plain NDJSON, the summary last", async () => {
    const [x, y, z] = await twoWaveNamespaces("tty-wave");
    const name = `${x}-waves`;
    const out = join(work, `${name}.ndjson`);
    const args = ["migrate", x, y, z, "--waves", "--parallel", "2", "--yes", "--timeout", "2m"];
    await startInTerminal(name, [...args, "--backup-dir", join(work, name), "-o", "json"], out);
    expect(await exitCode(name)).toBe(0);
    const text = await screen(name);
    // stdout is NDJSON only: every line an event of the schema, one summary, the last.
    const stream = events(out);
    for (const e of stream) expect(validate(e), ajv.errorsText(validate.errors)).toBe(true);
    expect(stream.filter((e) => e.event === "summary")).toHaveLength(1);
    expect(stream.at(-1)).toMatchObject({
      event: "summary",
      exitCode: 0,
      waves: [
        { wave: 1, namespaces: [x, y].sort() },
        { wave: 2, namespaces: [z] },
      ],
      namespaces: expect.arrayContaining([
        { namespace: x, wave: 1, result: "migrated" },
        { namespace: y, wave: 1, result: "migrated" },
        { namespace: z, wave: 2, result: "migrated" },
      ]),
    });
    // The terminal: each wave, and under each namespace each step (named with its namespace:
    // two run at once) and every gate with ✓.
    expect(text).toContain(`wave 1 of 2: ${[x, y].sort().join(", ")}`);
    expect(text).toContain(`wave 2 of 2: ${z}`);
    for (const ns of [x, y, z]) {
      expect(text).toContain(`▸ ${ns}`);
      const steps = stream.filter((e) => e.event === "step" && e.phase === "passed" && e.namespace === ns);
      expect(steps.length).toBeGreaterThan(2);
      for (const step of steps) expect(text).toContain(`✓ ${ns} › step ${step.step}: ${step.title}`);
      expect(text).toMatch(new RegExp(`✓ ${ns}: migrated`));
    }
    const gates = stream.filter((e) => e.event === "gate" && e.phase === "passed");
    expect(gates.length).toBeGreaterThan(5);
    for (const gate of gates) expect(text).toContain(`✓ gate: ${gate.description}`);
    expect(text.match(/✓ gate: /g)?.length).toBe(gates.length);
    expect(text).not.toContain("<<EOF");
  });

  it("observability --apply: the backup and each object's apply with ✓, one line each; the manifests in the log", async () => {
    const ns = await createNamespace("tty-obs");
    await apply(dashboardConfigMap, ns);
    await apply(appWithMetrics, ns);
    const monitors = async () =>
      (
        await kubectlJson<{ items: { metadata: { name: string } }[] }>([
          "-n",
          "istio-system",
          "get",
          "podmonitors",
        ])
      ).items.map((m) => m.metadata.name);
    const preexisting = await monitors();
    const name = `${ns}-apply`;
    const backup = join(work, name);
    await startInTerminal(name, ["observability", "-n", ns, "--apply", "--yes", "--backup-dir", backup]);
    try {
      expect(await exitCode(name)).toBe(0);
    } finally {
      // The generated monitors this run added in istio-system (ztunnel, waypoints); others' stay.
      const mine = (await monitors()).filter(
        (m) => !preexisting.includes(m) && ["ztunnel", "waypoints"].includes(m),
      );
      if (mine.length > 0)
        await kubectl(["-n", "istio-system", "delete", "podmonitor", ...mine, "--ignore-not-found"], {
          allowFail: true,
        });
    }
    const text = await screen(name);
    const logged = loggedEvents(backup, "observability") as unknown as Record<string, unknown>[];
    const applied = logged.filter((e) => e.event === "apply" && e.phase === "passed");
    expect(applied.map((e) => e.object)).toEqual(
      expect.arrayContaining([`ConfigMap/${ns}/dashboards`, `PodMonitor/${ns}/shop-metrics`]),
    );
    expect(text).toContain(`▸ observability --apply: ${applied.length} object(s) to change`);
    expect(text).toMatch(/✓ backup of 1 object\(s\) — written, read back and verified {2}\d+\.\ds/);
    for (const e of applied)
      expect(text).toMatch(new RegExp(`✓ ${e.action} ${e.object} — .* {2}\\d+\\.\\ds`));
    expect(text).toMatch(new RegExp(`✓ observability: ${applied.length} object\\(s\\) changed; backup `));
    expect(text).not.toContain("<<'EOF'");
    expect(text).toMatch(/ACTION\s+OBJECT\s+WHY\s+RESULT/);
    expect(text).toMatch(/full log: .*observability-.*\.log/);
    expect((await kubectl(["-n", ns, "get", "podmonitor", "shop-metrics"])).code).toBe(0);
  });
});
