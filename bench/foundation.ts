// Benchmark of the foundation: read a generated mesh of 2,000 namespaces and ~50,000 objects
// from YAML files, assess it and plan it; print each phase's time and the peak RSS.
// Targets (issue 14): 2,000 namespaces under 1.5 s in total; 10,000 namespaces under 6 s and
// 1.5 GB. Figures only: nothing is asserted.
//
// Run:  npm run bench:foundation [-- namespaces [--keep DIR]]
// (compiles bench/ and the sources it imports with bench/tsconfig.json to
// node_modules/.cache/am-bench, then runs with the pinned Node 24).
// `--keep DIR` writes the generated mesh to DIR and leaves it there (for profiling the CLI on it).

import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assess } from "../src/assess/assess.js";
import { readManifests } from "../src/inventory/from-files.js";
import { buildPlan } from "../src/plan/build.js";
import { writeMesh } from "./mesh-generator.js";

const args = process.argv.slice(2);
const keepAt = args.indexOf("--keep");
const keepDir = keepAt >= 0 ? args.splice(keepAt, 2)[1] : undefined;
const NAMESPACES = Number(args[0] ?? 2000);

let peakRss = process.memoryUsage().rss;
let totalMs = 0;
let totalCpuMs = 0;
// CPU time next to wall time: on a shared, loaded machine the wall time also counts waiting
// for a core; the CPU time (user + system, all threads: GC included) does not.
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
function phase<T>(name: string, run: () => T): T {
  const start = performance.now();
  const cpuStart = cpuMs();
  const result = run();
  const ms = performance.now() - start;
  const cpu = cpuMs() - cpuStart;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  process.stdout.write(
    `${name.padEnd(8)} ${ms.toFixed(0).padStart(6)} ms   cpu ${cpu.toFixed(0).padStart(6)} ms\n`,
  );
  totalMs += ms;
  totalCpuMs += cpu;
  return result;
}

const dir = keepDir ?? mkdtempSync(join(tmpdir(), "ambient-migrate-bench-"));
if (keepDir) mkdirSync(keepDir, { recursive: true });
try {
  writeMesh(dir, NAMESPACES);
  const read = phase("read", () => readManifests([dir]));
  const namespaces = read.inventory.namespaceNames();
  const assessment = phase("assess", () => assess(read.inventory, namespaces));
  const plan = phase("plan", () => buildPlan(read.inventory, assessment));
  process.stdout.write(
    `total    ${totalMs.toFixed(0).padStart(6)} ms   cpu ${totalCpuMs.toFixed(0).padStart(6)} ms   (target at 2,000 namespaces < 1500 ms; at 10,000 < 6000 ms)\n` +
      `peak rss ${(peakRss / 2 ** 20).toFixed(0).padStart(6)} MB   (target at 10,000 namespaces < 1536 MB)\n` +
      `load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}\n` +
      `${namespaces.length} namespaces, ${read.inventory.count()} objects in ${read.files} files; ` +
      `${assessment.findings.length} findings; ${plan.namespaces.reduce((n, p) => n + p.steps.length, 0)} steps\n`,
  );
} finally {
  if (!keepDir) rmSync(dir, { recursive: true, force: true });
}
