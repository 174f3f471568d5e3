// Benchmark against the testbed (a real kube-apiserver): 1,000 namespaces labelled
// bench=ambient-migrate, a mix of istio-injection=enabled, istio.io/rev=1-27, ambient and
// none, each with a Service, a ServiceAccount, a ConfigMap and an AuthorizationPolicy or a
// VirtualService (no Deployments, so no pods are needed). Then times the built CLI as separate
// processes: `status -A -o json` and `assess -A -o json`, 3 runs each. Figures only.
// Target (issue 4): status under 3 s.
//
// Run:  npm run bench:cluster [-- --namespaces 1000] [--runs 3] [--kubeconfig PATH]
//       npm run bench:cluster -- --cleanup     deletes the bench namespaces (by label)
// Namespaces that already exist are not created again, so a second run only times the CLI.

import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const repo = new URL("../../../..", import.meta.url).pathname; // node_modules/.cache/am-bench/bench/
const { values: args } = parseArgs({
  options: {
    namespaces: { type: "string", default: "1000" },
    runs: { type: "string", default: "3" },
    kubeconfig: { type: "string", default: join(repo, ".testbed/kubeconfig") },
    cleanup: { type: "boolean", default: false },
  },
});
const LABEL = "bench=ambient-migrate";
const BATCH = 50;
const PARALLEL = 4;

// kubectl from the testbed's build cache, else from PATH.
const testbedCache = join(repo, ".testbed/cache");
const env = {
  ...process.env,
  KUBECONFIG: args.kubeconfig,
  PATH: existsSync(testbedCache)
    ? `${readFileSync(testbedCache, "utf8").trim()}/bin:${process.env.PATH}`
    : process.env.PATH,
};

function kubectl(argv: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("kubectl", argv, { env, maxBuffer: 256 * 2 ** 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`kubectl ${argv.join(" ")}: ${stderr || err.message}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

function namespaceName(i: number): string {
  return `bench-${String(i).padStart(4, "0")}`;
}

/** One namespace and its four objects, as JSON items of a List. */
function namespaceItems(i: number): object[] {
  const ns = namespaceName(i);
  const mode = [
    { "istio-injection": "enabled" },
    { "istio.io/rev": "1-27" },
    { "istio.io/dataplane-mode": "ambient" },
    {},
  ][i % 4];
  const meta = (name: string) => ({ name, namespace: ns, labels: { app: "web" } });
  const policyOrRoute =
    i % 2 === 0
      ? {
          apiVersion: "security.istio.io/v1",
          kind: "AuthorizationPolicy",
          metadata: meta("web-get"),
          spec: {
            selector: { matchLabels: { app: "web" } },
            rules: [{ to: [{ operation: { methods: ["GET"] } }] }],
          },
        }
      : {
          apiVersion: "networking.istio.io/v1",
          kind: "VirtualService",
          metadata: meta("web"),
          spec: { hosts: ["web"], http: [{ timeout: "5s", route: [{ destination: { host: "web" } }] }] },
        };
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: ns, labels: { bench: "ambient-migrate", ...mode } },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta("web"),
      spec: { selector: { app: "web" }, ports: [{ name: "http", port: 8080 }] },
    },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta("web") },
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta("web-config"), data: { LOG_LEVEL: "info" } },
    policyOrRoute,
  ];
}

async function existingBenchNamespaces(): Promise<Set<string>> {
  const out = await kubectl(["get", "namespaces", "-l", LABEL, "-o", "name"]);
  return new Set(
    out
      .split("\n")
      .filter(Boolean)
      .map((line) => line.replace(/^namespace\//, "")),
  );
}

async function createNamespaces(count: number): Promise<void> {
  const existing = await existingBenchNamespaces();
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !existing.has(namespaceName(i)));
  if (missing.length === 0) {
    process.stdout.write(`${count} bench namespaces already exist\n`);
    return;
  }
  const batches: number[][] = [];
  for (let i = 0; i < missing.length; i += BATCH) batches.push(missing.slice(i, i + BATCH));
  const started = performance.now();
  let done = 0;
  const worker = async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) {
      const list = { apiVersion: "v1", kind: "List", items: batch.flatMap(namespaceItems) };
      await kubectl(
        ["apply", "--server-side", "--field-manager=ambient-migrate-bench", "-o", "name", "-f", "-"],
        JSON.stringify(list),
      );
      done += batch.length;
      process.stderr.write(`\rcreated ${done}/${missing.length} namespaces`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  process.stderr.write("\n");
  process.stdout.write(
    `created ${missing.length} namespaces (${missing.length * 5} objects) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

interface Run {
  ms: number;
  maxRssMb: number;
  namespaces: number;
}

/** Runs the built CLI as its own process under /usr/bin/time (for its peak RSS). */
function timeCli(argv: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      "/usr/bin/time",
      ["-f", "maxrss_kb=%M", process.execPath, join(repo, "bin/ambient-migrate.js"), ...argv],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    const stdout: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("close", (code) => {
      const ms = performance.now() - started;
      const rss = Number(/maxrss_kb=(\d+)/.exec(stderr)?.[1] ?? Number.NaN) / 1024;
      // assess exits non-zero when it finds blockers; the JSON on stdout is what counts.
      let parsed: { namespaces?: unknown[]; summary?: { namespaces?: number } };
      try {
        parsed = JSON.parse(Buffer.concat(stdout).toString());
      } catch {
        reject(new Error(`ambient-migrate ${argv.join(" ")} exited ${code}: ${stderr}`));
        return;
      }
      // status lists its namespaces; assess counts them in its summary.
      const namespaces = parsed.namespaces?.length ?? parsed.summary?.namespaces ?? 0;
      resolve({ ms, maxRssMb: rss, namespaces });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  try {
    await kubectl(["get", "--raw", "/readyz"]);
  } catch {
    process.stderr.write(
      `the testbed does not answer (kubeconfig ${args.kubeconfig}): start it with npm run testbed:up\n`,
    );
    process.exitCode = 1;
    return;
  }
  if (args.cleanup) {
    const existing = await existingBenchNamespaces();
    await kubectl(["delete", "namespaces", "-l", LABEL, "--wait=false"]);
    process.stdout.write(`deleting ${existing.size} bench namespaces (label ${LABEL})\n`);
    return;
  }
  const count = Number(args.namespaces);
  await createNamespaces(count);
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  process.stdout.write(`load average ${load}\n`);
  for (const command of ["status", "assess"]) {
    const argv = [command, "-A", "-o", "json", "--kubeconfig", args.kubeconfig];
    const runs: Run[] = [];
    for (let i = 0; i < Number(args.runs); i++) runs.push(await timeCli(argv));
    process.stdout.write(
      `${command.padEnd(7)} ${runs.map((r) => `${r.ms.toFixed(0)} ms`).join(", ")}; ` +
        `median ${median(runs.map((r) => r.ms)).toFixed(0)} ms, peak rss ${median(runs.map((r) => r.maxRssMb)).toFixed(0)} MB, ` +
        `${runs[0]?.namespaces} namespaces in the output${command === "status" ? "   (target < 3000 ms)" : ""}\n`,
    );
  }
}

await main();
