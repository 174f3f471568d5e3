// Start-up of the built CLI, as a user's shell runs it: `ambient-migrate --version` and
// `assess -f examples/bookinfo-mesh`, each a fresh process, alternating with a bare `node -e 0`
// (the floor no CLI on Node can go under). Medians of wall time and of CPU time (user + system:
// on a shared, loaded machine the wall time also counts waiting for a core). Figures only.
// Targets (issue 14): --version under 80 ms, assess -f on the example under 150 ms.
//
// Run:  npm run bench:startup [-- --runs 21]

import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadAverage, repo, timeProcess } from "./testbed.js";

const { values: args } = parseArgs({ options: { runs: { type: "string", default: "21" } } });
const cli = join(repo, "bin/ambient-migrate.js");

const cases: Record<string, string[]> = {
  "node -e 0 (floor)": ["-e", "0"],
  "--version": [cli, "--version"],
  "assess -f example": [cli, "assess", "-f", join(repo, "examples/bookinfo-mesh")],
};

async function timeOnce(argv: string[]): Promise<{ wallMs: number; cpuMs: number }> {
  const r = await timeProcess([process.execPath, ...argv]);
  // assess exits 3 on the example (it has blockers): that is a complete run.
  if (r.code !== 0 && r.code !== 3) throw new Error(`${argv.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

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
