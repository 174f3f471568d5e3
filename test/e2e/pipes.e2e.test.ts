// stdout closed by its reader (`ambient-migrate ... | head`), with the built CLI as a child whose
// stdout the test stops reading after the first piece: a command that only reads ends there,
// quietly, with 141 (as a Unix tool that SIGPIPE ends), not with Node's stack trace; a migration
// finishes its current change, records the interruption in its journal and exits 130, and
// migrate again resumes it to the end.

import { type ChildProcessByStdio, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectCluster } from "../../src/cluster/connect.js";
import type { ClusterPort } from "../../src/cluster/port.js";
import { readJournal } from "../../src/run/journal.js";
import { detailsNamespace } from "./details-sample.js";
import { cli, deleteNamespaces, kubeconfigPath, repoRoot } from "./harness.js";

const work = mkdtempSync(join(tmpdir(), "am-e2e-pipes-"));
let port: ClusterPort;

beforeAll(() => {
  port = connectCluster({ kubeconfig: kubeconfigPath() }, () => {});
});

afterAll(async () => {
  await deleteNamespaces();
});

/** Runs the CLI; after the first piece of its stdout, stops reading (the read end is closed). */
function closingReader(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, "bin/ambient-migrate.js"), ...args], {
      env: { ...process.env, KUBECONFIG: kubeconfigPath() },
      stdio: ["ignore", "pipe", "pipe"],
    }) as ChildProcessByStdio<null, Readable, Readable>;
    let stdout = "";
    let stderr = "";
    child.stdout.once("data", (chunk: Buffer) => {
      stdout = chunk.toString();
      child.stdout.destroy();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("stdout closed by its reader", () => {
  it("assess -o json: ends at once and quietly with 141, no stack trace", async () => {
    // 300 namespaces, each with an L7 policy: a finding each, ~300 KB of JSON, several pipe-fulls.
    const manifests = Array.from(
      { length: 300 },
      (_, i) => `apiVersion: v1
kind: Namespace
metadata: {name: team-${i}, labels: {istio-injection: enabled}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: get-only, namespace: team-${i}}
spec:
  selector: {matchLabels: {app: web}}
  rules: [{to: [{operation: {methods: [GET]}}]}]
`,
    ).join("---\n");
    const file = join(work, "mesh.yaml");
    writeFileSync(file, manifests);
    const full = await cli(["assess", "-f", file, "-o", "json"]);
    expect(full.stdout.length).toBeGreaterThan(200_000); // more than a pipe holds

    const r = await closingReader(["assess", "-f", file, "-o", "json"]);
    expect(r.code).toBe(141);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(full.stdout.startsWith(r.stdout)).toBe(true);
    expect(r.stderr).not.toMatch(/EPIPE|node:events|at /);
  });

  it("migrate: finishes the current change, records the interruption, exits 130; migrate again resumes", async () => {
    const ns = await detailsNamespace("pipe-mig");
    const args = ["migrate", "-n", ns, "--yes", "--timeout", "2m", "--backup-dir", join(work, ns)];
    // Off a terminal, migrate writes each change's kubectl (or istioctl) equivalent on stdout as
    // it makes it.
    const r = await closingReader(args);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stdout).toMatch(/^(kubectl|istioctl) /); // the first change's command line
    expect(r.stderr).toContain("stdout was closed: finishing the current change");
    expect(r.stderr).not.toMatch(/EPIPE|node:events/);
    const journal = await readJournal(port, ns);
    expect(journal).toMatchObject({
      status: "interrupted",
      failure: "interrupted: stdout was closed by its reader",
    });
    expect(journal?.completedSteps).not.toContain(6);

    const resumed = await cli(args);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain("resuming the run recorded in the journal");
    expect(await readJournal(port, ns)).toMatchObject({ status: "done" });
  });
});
