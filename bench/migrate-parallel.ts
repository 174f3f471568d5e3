// `migrate --parallel N` on many namespaces against the testbed: 50 namespaces (default) with
// Bookinfo's details (istio-injection=enabled, sidecars rolled out), migrated by the built CLI as
// one process with --parallel 8. The tool's own overhead is the time it spends computing rather
// than waiting on the cluster: the process's CPU time (user + system, from /usr/bin/time),
// which is near zero while it waits on watches, ztunnel and the apiserver. Figures only.
// Target (issue 14): under 0.3 s per namespace at N = 8 with 50 namespaces.
//
// Run:  npm run bench:migrate [-- --namespaces 50] [--parallel 8] [--kubeconfig PATH]
// The namespaces are created first and deleted afterwards. Use a testbed of your own: 50
// namespaces of pods are a heavy load on a shared one.

import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { kubectlIn, loadAverage, repo, testbedDir, testbedEnv, timeProcess } from "./testbed.js";

const { values: args } = parseArgs({
  options: {
    namespaces: { type: "string", default: "50" },
    parallel: { type: "string", default: "8" },
    kubeconfig: { type: "string", default: join(testbedDir, "kubeconfig") },
  },
  strict: false,
});
const count = Number(args.namespaces);
const parallel = Number(args.parallel);
const kubeconfig = String(args.kubeconfig);
const env = testbedEnv(kubeconfig);
const kubectl = kubectlIn(env);

/** Bookinfo's details (Service, ServiceAccount, Deployment), from Istio's sample. */
function detailsManifest(): string {
  const bookinfo = readFileSync(
    join(repo, "../shared/fixtures/istio-upstream/bookinfo/platform/bookinfo.yaml"),
    "utf8",
  );
  return bookinfo
    .split(/^---$/m)
    .filter((doc) => /name: (bookinfo-)?details\b/.test(doc) || /app: details\b/.test(doc))
    .join("\n---\n");
}

async function main(): Promise<void> {
  const run = randomBytes(2).toString("hex");
  const namespaces = Array.from(
    { length: count },
    (_, i) => `bench-par-${run}-${String(i).padStart(2, "0")}`,
  );
  const started = performance.now();
  const manifest = detailsManifest();
  // Namespaces first, then their apps, a few at a time: the sidecar injector handles each pod.
  await kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: namespaces.map((name) => ({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name, labels: { "istio-injection": "enabled", bench: "ambient-migrate-parallel" } },
      })),
    }),
  );
  const queue = [...namespaces];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let ns = queue.shift(); ns; ns = queue.shift()) {
        await kubectl(["-n", ns, "apply", "--server-side", "-f", "-"], manifest);
        await kubectl(["-n", ns, "rollout", "status", "deployment/details-v1", "--timeout=300s"]);
      }
    }),
  );
  process.stdout.write(
    `${count} namespaces with details rolled out (sidecars) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
  try {
    const loadBefore = loadAverage();
    const figures = await timeMigrate(namespaces);
    const results = new Map<string, number>();
    for (const n of figures.summary.namespaces) results.set(n.result, (results.get(n.result) ?? 0) + 1);
    process.stdout.write(
      `migrate --parallel ${parallel}, ${count} namespaces: exit ${figures.code}, ${[...results].map(([r, n]) => `${n} ${r}`).join(", ")}\n` +
        `  wall                      ${(figures.wallMs / 1000).toFixed(1)} s (${(figures.wallMs / count / 1000).toFixed(2)} s per namespace)\n` +
        `  tool's own time (CPU)     ${(figures.cpuMs / 1000).toFixed(2)} s = ${(figures.cpuMs / count / 1000).toFixed(3)} s per namespace   (target < 0.3 s)\n` +
        `  peak rss                  ${figures.maxRssMb.toFixed(0)} MB\n` +
        `  load average before/after ${loadBefore} | ${loadAverage()}\n`,
    );
  } finally {
    await kubectl(["delete", "namespace", ...namespaces, "--wait=false"]);
  }
}

interface Figures {
  code: number | null;
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
  summary: { namespaces: { namespace: string; result: string }[] };
}

async function timeMigrate(namespaces: string[]): Promise<Figures> {
  const backupDir = mkdtempSync(join(tmpdir(), "am-bench-parallel-"));
  const argv = [
    ...[process.execPath, join(repo, "bin/ambient-migrate.js")],
    ...["migrate", ...namespaces.flatMap((ns) => ["-n", ns]), "--parallel", String(parallel)],
    ...["--yes", "--timeout", "300s", "--backup-dir", backupDir, "-o", "json", "--kubeconfig", kubeconfig],
  ];
  const r = await timeProcess(argv, env);
  try {
    // -o json is NDJSON: the summary is the last line.
    const last = r.stdout.trimEnd().split("\n").at(-1) ?? "";
    return { ...r, summary: JSON.parse(last) };
  } catch {
    throw new Error(`migrate exited ${r.code}:\n${r.stderr.slice(-3000)}`);
  }
}

await main();
