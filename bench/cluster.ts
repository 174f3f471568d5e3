// Benchmark against the testbed (a real kube-apiserver): N namespaces (default 1,000) labelled
// bench=ambient-migrate, a mix of istio-injection=enabled, istio.io/rev=1-27, ambient and none,
// each with a Service, a ServiceAccount, two ConfigMaps, a DestinationRule and an
// AuthorizationPolicy or a VirtualService (no Deployments, so no pods are needed); with the
// ServiceAccount and ConfigMap Kubernetes adds to every namespace, about 9 objects each
// (10,000 namespaces: ~90,000 objects). Then times the built CLI as separate processes,
// `status -A -o json` and `assess -A -o json`, side by side with real `istioctl analyze -A`,
// alternating their order run by run, and prints the medians and the ratios to istioctl.
// Figures only.
// Targets (issue 14): at 1,000 namespaces both at most 0.5x istioctl; at 10,000 namespaces
// status under 5 s, assess under 6 s, under 1 GB peak.
//
// Run:  npm run bench:cluster [-- --namespaces 1000] [--runs 5] [--kubeconfig PATH]
//       npm run bench:cluster -- --cleanup     deletes the bench namespaces (by label)
// Namespaces that already exist are not created again, so a second run only times the tools.
// It creates thousands of namespaces: run it on a testbed of your own, not a shared one.

import { join } from "node:path";
import { parseArgs } from "node:util";
import { kubectlIn, loadAverage, repo, testbedDir, testbedEnv, timeProcess } from "./testbed.js";

const { values: args } = parseArgs({
  options: {
    namespaces: { type: "string", default: "1000" },
    runs: { type: "string", default: "5" },
    kubeconfig: { type: "string", default: join(testbedDir, "kubeconfig") },
    cleanup: { type: "boolean", default: false },
  },
});
const env = testbedEnv(args.kubeconfig);
const kubectl = kubectlIn(env);
const LABEL = "bench=ambient-migrate";
const BATCH = 50;
const PARALLEL = 4;

function namespaceName(i: number): string {
  return `bench-${String(i).padStart(5, "0")}`;
}

/** One namespace and its six objects, as JSON items of a List. */
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
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta("web-flags"), data: { FEATURE_X: "on" } },
    {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: meta("web"),
      spec: { host: "web", trafficPolicy: { connectionPool: { tcp: { maxConnections: 100 } } } },
    },
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
    `created ${missing.length} namespaces (${missing.length * 7} objects) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

interface Run {
  ms: number;
  /** User + system CPU time: on a loaded machine, the wall time also counts waiting for a core. */
  cpuMs: number;
  maxRssMb: number;
  /** Namespaces in the output (ambient-migrate), or the exit code's meaning (istioctl). */
  detail: string;
}

/** Runs a command as its own process; `check` reads its output (and throws when it failed). */
async function timeRun(argv: string[], check: (stdout: string, code: number | null) => string): Promise<Run> {
  const r = await timeProcess(argv, env);
  try {
    return { ms: r.wallMs, cpuMs: r.cpuMs, maxRssMb: r.maxRssMb, detail: check(r.stdout, r.code) };
  } catch (err) {
    throw new Error(
      `${argv.join(" ")} exited ${r.code}: ${(err as Error).message}\n${r.stderr.slice(-2000)}`,
    );
  }
}

/** The built CLI; assess exits 3 when it finds blockers: the JSON on stdout is what counts. */
function timeCli(command: string): Promise<Run> {
  const argv = [process.execPath, join(repo, "bin/ambient-migrate.js"), command, "-A", "-o", "json"];
  return timeRun([...argv, "--kubeconfig", args.kubeconfig], (stdout) => {
    const parsed = JSON.parse(stdout) as { namespaces?: unknown[]; summary?: { namespaces?: number } };
    // status lists its namespaces; assess counts them in its summary.
    return `${parsed.namespaces?.length ?? parsed.summary?.namespaces ?? 0} namespaces in the output`;
  });
}

/** Real istioctl analyze: exit 0 (no findings) or 79 (findings) are both a complete analysis. */
function timeIstioctl(): Promise<Run> {
  return timeRun(["istioctl", "analyze", "-A", "--kubeconfig", args.kubeconfig], (stdout, code) => {
    if (code !== 0 && code !== 79) throw new Error("istioctl analyze failed");
    return `${stdout.split("\n").filter((l) => /^(Error|Warning|Info) /.test(l)).length} messages`;
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
  const tools: Record<string, () => Promise<Run>> = {
    "istioctl analyze -A": timeIstioctl,
    "status -A": () => timeCli("status"),
    "assess -A": () => timeCli("assess"),
  };
  const names = Object.keys(tools);
  const runs = new Map<string, Run[]>(names.map((n) => [n, []]));
  const loads: string[] = [loadAverage()];
  for (let i = 0; i < Number(args.runs); i++) {
    // Alternate who goes first, so that neither always gets the warmer caches.
    const order = names.map((_, k) => names[(k + i) % names.length] as string);
    for (const name of order) runs.get(name)?.push(await tools[name]!());
    loads.push(loadAverage());
  }
  process.stdout.write(`load average (1, 5, 15 min) before and after each round: ${loads.join(" | ")}\n`);
  const medians = new Map<string, number>();
  const cpuMedians = new Map<string, number>();
  for (const name of names) {
    const r = runs.get(name) ?? [];
    medians.set(name, median(r.map((x) => x.ms)));
    cpuMedians.set(name, median(r.map((x) => x.cpuMs)));
    process.stdout.write(
      `${name.padEnd(20)} wall ${r.map((x) => `${x.ms.toFixed(0)}`).join(", ")} ms; median ${median(r.map((x) => x.ms)).toFixed(0)} ms; ` +
        `cpu median ${median(r.map((x) => x.cpuMs)).toFixed(0)} ms; ` +
        `peak rss ${Math.max(...r.map((x) => x.maxRssMb)).toFixed(0)} MB; ${r[0]?.detail}\n`,
    );
  }
  const istioctl = medians.get("istioctl analyze -A") ?? Number.NaN;
  const istioctlCpu = cpuMedians.get("istioctl analyze -A") ?? Number.NaN;
  for (const name of ["status -A", "assess -A"]) {
    process.stdout.write(
      `ratio ${name} / istioctl analyze -A: wall ${((medians.get(name) ?? Number.NaN) / istioctl).toFixed(2)}` +
        `, cpu ${((cpuMedians.get(name) ?? Number.NaN) / istioctlCpu).toFixed(2)}   (target <= 0.50 wall at 1,000 namespaces)\n`,
    );
  }
  process.stdout.write(
    `targets at 10,000 namespaces: status -A < 5000 ms, assess -A < 6000 ms, peak rss < 1024 MB\n`,
  );
}

await main();
