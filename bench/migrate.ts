// Overhead of a migration against the testbed: one namespace with Bookinfo's details and
// ratings (istio-injection=enabled) migrated in-process through the same calls `migrate` makes
// (live inventory, assess, plan, executor). The executor reports each gate as it starts
// ("  gate: ...") and as it passes ("  passed: ..."): the time between the two is time spent
// waiting on the cluster (watches, ztunnel re-reads). Total minus waits = what the tool adds.
// Figures only. Target (issue 4): under 2 s per namespace added by the tool.
//
// Run:  npm run bench:migrate [-- --runs 1] [--kubeconfig PATH]
// Each run uses a fresh namespace (created and deleted through the cluster port, no kubectl).

import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseAllDocuments } from "yaml";
import { assess } from "../src/assess/assess.js";
import { connectCluster } from "../src/cluster/connect.js";
import { observeGate } from "../src/gates/index.js";
import { readCluster } from "../src/inventory/from-cluster.js";
import { refOf } from "../src/inventory/identity.js";
import { K, kindInfo } from "../src/inventory/kinds.js";
import type { KubeObject } from "../src/inventory/model.js";
import { buildPlan } from "../src/plan/build.js";
import { migrateNamespace } from "../src/run/execute.js";
import { newHolderIdentity } from "../src/run/lock.js";
import { testbedDir } from "./testbed.js";

const repo = new URL("../../../..", import.meta.url).pathname; // node_modules/.cache/am-bench/bench/
const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "1" },
    kubeconfig: { type: "string", default: join(testbedDir, "kubeconfig") },
  },
});

const port = connectCluster({ kubeconfig: args.kubeconfig }, () => {});

/** Bookinfo's Service, ServiceAccount and Deployment of each app, from Istio's sample. */
function bookinfoApps(apps: string[], namespace: string): KubeObject[] {
  const sample = join(repo, "../shared/fixtures/istio-upstream/bookinfo/platform/bookinfo.yaml");
  return parseAllDocuments(readFileSync(sample, "utf8"))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null)
    .filter((o) => apps.some((app) => o.metadata.name.replace(/^bookinfo-/, "").startsWith(app)))
    .map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));
}

async function sampleNamespace(): Promise<string> {
  const ns = `bench-migrate-${randomBytes(3).toString("hex")}`;
  await port.apply({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: ns, labels: { "istio-injection": "enabled" } },
  });
  const objects = bookinfoApps(["details", "ratings"], ns);
  for (const o of objects) await port.apply(o);
  const deployments = objects.filter((o) => o.kind === "Deployment").map(refOf);
  const rolledOut = await observeGate(
    { type: "rollouts-complete", targets: deployments },
    {
      port,
      timeoutMs: 120_000,
      signal: new AbortController().signal,
      progress: () => {},
      ztunnelIntervalMs: 1000,
    },
  );
  if (!rolledOut.passed) throw new Error(rolledOut.detail);
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

const namespaceCount = (await port.list(kindInfo(K.Namespace))).items.length;
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
    await port.delete({ apiVersion: "v1", kind: "Namespace", name: ns });
  }
}
