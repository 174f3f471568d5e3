// Start-up of the built CLI, as a user's shell runs it: `ambient-migrate --version` and
// `assess -f examples/bookinfo-mesh`, each a fresh process, alternating with a bare `node -e 0`
// (the floor no CLI on Node can go under). Medians of wall time and of CPU time (user + system:
// on a shared, loaded machine the wall time also counts waiting for a core). Figures only.
// Targets (issue 14): --version under 80 ms, assess -f on the example under 150 ms.
//
// Run:  npm run bench:startup [-- --runs 21]

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const repo = new URL("../../../..", import.meta.url).pathname; // node_modules/.cache/am-bench/bench/
const { values: args } = parseArgs({ options: { runs: { type: "string", default: "21" } } });
const cli = join(repo, "bin/ambient-migrate.js");

const cases: Record<string, string[]> = {
  "node -e 0 (floor)": ["-e", "0"],
  "--version": [cli, "--version"],
  "assess -f example": [cli, "assess", "-f", join(repo, "examples/bookinfo-mesh")],
};

function timeOnce(argv: string[]): Promise<{ wallMs: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn("/usr/bin/time", ["-f", "cpu_s=%U+%S", process.execPath, ...argv], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("close", (code) => {
      const wallMs = performance.now() - started;
      const cpu = /cpu_s=([\d.]+)\+([\d.]+)/.exec(stderr);
      // assess exits 3 on the example (it has blockers): that is a complete run.
      if (!cpu || (code !== 0 && code !== 3))
        reject(new Error(`${argv.join(" ")} exited ${code}: ${stderr}`));
      else resolve({ wallMs, cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000 });
    });
  });
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

const loadBefore = loadAverage();
const runs = new Map<string, { wallMs: number; cpuMs: number }[]>(Object.keys(cases).map((k) => [k, []]));
await timeOnce(cases["--version"] as string[]); // warms the OS file cache and V8's compile cache
for (let i = 0; i < Number(args.runs); i++)
  for (const [name, argv] of Object.entries(cases)) runs.get(name)?.push(await timeOnce(argv));
for (const [name, r] of runs) {
  const target =
    name === "--version" ? "   (target < 80 ms)" : name.startsWith("assess") ? "   (target < 150 ms)" : "";
  process.stdout.write(
    `${name.padEnd(20)} median wall ${median(r.map((x) => x.wallMs))
      .toFixed(0)
      .padStart(4)} ms, cpu ${median(r.map((x) => x.cpuMs))
      .toFixed(0)
      .padStart(4)} ms${target}\n`,
  );
}
process.stdout.write(`load average before/after: ${loadBefore} | ${loadAverage()}\n`);
