// Issue 15's scale goals, from files: 200 MB of manifests (the generated mesh of bench:foundation,
// as many namespaces as it takes) run through assess, plan and translate, each in a fresh CLI
// process, under 60 s and 1.5 GB peak each; and 30,000 VirtualServices on one host (N sources
// of one host once made N warnings naming all N) stay linear. Figures only: nothing is judged here.
//
// Run:  npm run bench:manifests [-- --megabytes 200] [-- --same-host 30000] [-- --runs 3]

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { namespaceFile } from "./mesh-generator.js";
import { loadAverage, repo, type Timed, timeProcess } from "./testbed.js";

const { values } = parseArgs({
  options: {
    megabytes: { type: "string", default: "200" },
    "same-host": { type: "string", default: "30000" },
    // V8 sizes its heap from how fast the program allocates when it collects, so one large run's
    // peak varies by hundreds of MB from run to run: several runs give a median and a range.
    runs: { type: "string", default: "1" },
  },
});
const runs = Math.max(1, Number(values.runs));
const targetBytes = Number(values.megabytes) * 2 ** 20;
const sameHost = Number(values["same-host"]);
const cli = join(repo, "bin/ambient-migrate.js");
const work = mkdtempSync(join(tmpdir(), "am-bench-manifests-"));

/** Writes the generated mesh, one file per namespace, until it holds `bytes`; returns the count. */
function writeMeshOfSize(dir: string, bytes: number): number {
  mkdirSync(dir);
  let written = 0;
  let i = 0;
  for (; written < bytes; i++) {
    const text = namespaceFile(i);
    writeFileSync(join(dir, `ns-${i}.yaml`), text);
    written += Buffer.byteLength(text);
  }
  return i;
}

/** One namespace, one Service, `count` VirtualServices all for that Service's host. */
function writeSameHost(file: string, count: number): void {
  const parts = [
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n",
    "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {selector: {app: web}, ports: [{port: 80, name: http}]}\n",
  ];
  for (let i = 0; i < count; i++)
    parts.push(
      `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs-${i}, namespace: shop}\nspec:\n  hosts: [web]\n  http:\n  - match: [{uri: {prefix: /p${i}}}]\n    route: [{destination: {host: web}}]\n`,
    );
  writeFileSync(file, parts.join("---\n"));
}

async function run(label: string, input: string, times = 1): Promise<void> {
  for (const command of ["assess", "plan", "translate"]) {
    const load = loadAverage();
    const results: Timed[] = [];
    for (let i = 0; i < times; i++)
      // The output goes to /dev/null: what is measured is the tool, not this script holding its text.
      results.push(
        await timeProcess([
          "sh",
          "-c",
          'exec "$0" "$@" > /dev/null',
          process.execPath,
          cli,
          command,
          "-f",
          input,
        ]),
      );
    const failed = results.find((r) => r.code !== 0 && r.code !== 3); // 3: a blocker was found, the normal answer
    const median = (pick: (r: (typeof results)[number]) => number) => {
      const sorted = results.map(pick).sort((a, b) => a - b);
      return sorted[Math.floor((sorted.length - 1) / 2)] as number;
    };
    const peaks = results.map((r) => r.maxRssMb.toFixed(0));
    process.stdout.write(
      `${label.padEnd(34)} ${command.padEnd(9)} ${(median((r) => r.wallMs) / 1000).toFixed(1).padStart(6)} s wall ` +
        `${(median((r) => r.cpuMs) / 1000).toFixed(1).padStart(6)} s CPU ${median((r) => r.maxRssMb)
          .toFixed(0)
          .padStart(6)} MB peak` +
        `${times > 1 ? ` (medians of ${times} runs; peaks ${peaks.join(", ")} MB)` : ""}` +
        `  exit ${results.map((r) => r.code).join(",")}${failed ? ` (${failed.stderr.trim().split("\n").at(-1)})` : ""}  load ${load}\n`,
    );
  }
}

try {
  const mesh = join(work, "mesh");
  const namespaces = writeMeshOfSize(mesh, targetBytes);
  await run(`${values.megabytes} MB: ${namespaces.toLocaleString("en-US")} namespaces`, mesh, runs);
  const same = join(work, "same-host.yaml");
  for (const count of [sameHost / 10, sameHost / 3, sameHost].map(Math.round)) {
    writeSameHost(same, count);
    await run(`${count.toLocaleString("en-US")} VirtualServices, one host`, same);
  }
  process.stdout.write(
    "targets (issue 15): each under 60 s and 1536 MB peak; one host: time grows linearly\n",
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
