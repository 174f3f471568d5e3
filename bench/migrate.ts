// Overhead of a migration against the testbed: one namespace with Bookinfo's details and
// ratings (istio-injection=enabled) migrated in-process through the same calls `migrate` makes
// (live inventory, assess, plan, executor). The executor reports each gate as it starts
// ("  gate: ...") and as it passes ("  passed: ..."): the time between the two is time spent
// waiting on the cluster (watches, ztunnel re-reads). Total minus waits = what the tool adds.
// Figures only. Target (issue 4): under 2 s per namespace added by the tool.
//
// Run:  npm run bench:migrate [-- --runs 1] [--kubeconfig PATH]
// Each run uses a fresh namespace, deleted afterwards.

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { assess } from "../src/assess/assess.js";
import { connectCluster } from "../src/cluster/connect.js";
import { readCluster } from "../src/inventory/from-cluster.js";
import { buildPlan } from "../src/plan/build.js";
import { migrateNamespace } from "../src/run/execute.js";
import { newHolderIdentity } from "../src/run/lock.js";

const repo = new URL("../../../..", import.meta.url).pathname; // node_modules/.cache/am-bench/bench/
const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "1" },
    kubeconfig: { type: "string", default: join(repo, ".testbed/kubeconfig") },
  },
});

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
    const child = execFile("kubectl", argv, { env, maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`kubectl ${argv.join(" ")}: ${stderr || err.message}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Bookinfo's Service, ServiceAccount and Deployment of each app, from Istio's sample. */
function bookinfoApps(apps: string[]): string {
  const sample = join(repo, "../shared/fixtures/istio-upstream/bookinfo/platform/bookinfo.yaml");
  return readFileSync(sample, "utf8")
    .split(/^---$/m)
    .filter((doc) =>
      apps.some((app) => new RegExp(`(name: (bookinfo-)?${app}\\b)|(app: ${app}\\b)`).test(doc)),
    )
    .join("\n---\n");
}

async function sampleNamespace(): Promise<string> {
  const ns = `bench-migrate-${randomBytes(3).toString("hex")}`;
  await kubectl(["create", "namespace", ns]);
  await kubectl(["label", "namespace", ns, "istio-injection=enabled"]);
  await kubectl(["-n", ns, "apply", "--server-side", "-f", "-"], bookinfoApps(["details", "ratings"]));
  for (const d of ["details-v1", "ratings-v1"])
    await kubectl(["-n", ns, "rollout", "status", `deployment/${d}`, "--timeout=120s"]);
  return ns;
}

interface Figures {
  totalMs: number;
  inventoryMs: number;
  planMs: number;
  gatesMs: number;
  gates: { gate: string; ms: number }[];
}

async function migrateOnce(ns: string): Promise<Figures> {
  const port = connectCluster({ kubeconfig: args.kubeconfig }, () => {});
  const gates: { gate: string; ms: number }[] = [];
  let open: { gate: string; start: number } | undefined;
  const progress = (line: string) => {
    const now = performance.now();
    const started = /^ {2}gate: (.*)$/.exec(line);
    if (started) open = { gate: started[1] ?? "", start: now };
    else if (/^ {2}passed: /.test(line) && open) {
      gates.push({ gate: open.gate, ms: now - open.start });
      open = undefined;
    }
  };
  const start = performance.now();
  const inventory = await readCluster(port);
  const read = performance.now();
  const plan = buildPlan(inventory, assess(inventory, [ns]));
  const planned = performance.now();
  const nsPlan = plan.namespaces[0];
  if (!nsPlan) throw new Error(`no plan for ${ns}`);
  const result = await migrateNamespace(port, nsPlan, {
    timeoutMs: 120_000,
    dryRun: "none",
    holder: newHolderIdentity(),
    backupDir: mkdtempSync(join(tmpdir(), "am-bench-migrate-")),
    signal: new AbortController().signal,
    out: () => {},
    progress,
    toolVersion: "bench",
  });
  if (result !== "migrated") throw new Error(`${ns}: ${result}`);
  const totalMs = performance.now() - start;
  return {
    totalMs,
    inventoryMs: read - start,
    planMs: planned - read,
    gatesMs: gates.reduce((sum, g) => sum + g.ms, 0),
    gates,
  };
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const namespaceCount = (await kubectl(["get", "namespaces", "-o", "name"]))
  .split("\n")
  .filter(Boolean).length;
console.log(`cluster: ${namespaceCount} namespaces (the live inventory reads all of them)`);
for (let run = 1; run <= Number(args.runs); run++) {
  const ns = await sampleNamespace();
  try {
    const f = await migrateOnce(ns);
    console.log(`run ${run}: ${ns} (details + ratings)`);
    for (const g of f.gates) console.log(`  wait ${s(g.ms).padStart(8)}  ${g.gate}`);
    console.log(`  total                 ${s(f.totalMs)}`);
    console.log(`  waiting on cluster    ${s(f.gatesMs)}  (${f.gates.length} gates)`);
    console.log(`  added by the tool     ${s(f.totalMs - f.gatesMs)}`);
    console.log(`    of which inventory  ${s(f.inventoryMs)}, assess + plan ${s(f.planMs)}`);
  } finally {
    await kubectl(["delete", "namespace", ns, "--wait=false"]);
  }
}
