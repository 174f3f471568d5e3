// status across clusters (--context a,b,c, --all-contexts): each context read on its own cluster
// (in-memory ones here, one per context), concurrently, into one table with a cluster column; a
// cluster that cannot be read is named, the others still listed, and its exit code returned.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setClusterConnector } from "../../../src/cli/cluster-loader.js";
import { clusterUnreachable } from "../../../src/cluster/errors.js";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import { K } from "../../../src/inventory/kinds.js";
import { inventoryOf, namespaceYaml, runCli } from "../assess/helpers.js";

const clusterOf = (yaml: string) => {
  const inventory = inventoryOf(yaml);
  return new FakeClusterPort(Object.values(K).flatMap((kind) => inventory.list(kind)));
};

const CLUSTERS: Record<string, FakeClusterPort> = {
  east: clusterOf(namespaceYaml("shop", { "istio-injection": "enabled" })),
  west: clusterOf(
    namespaceYaml("shop", { "istio.io/dataplane-mode": "ambient" }) +
      namespaceYaml("ledger", { "istio.io/rev": "1-27" }),
  ),
};
const asked: string[] = [];
let restore: Parameters<typeof setClusterConnector>[0] | undefined;

const kubeconfig = join(mkdtempSync(join(tmpdir(), "am-fleet-")), "config");
writeFileSync(
  kubeconfig,
  `apiVersion: v1
kind: Config
clusters:
- {name: east, cluster: {server: "https://east.invalid"}}
- {name: west, cluster: {server: "https://west.invalid"}}
users:
- {name: me, user: {token: t}}
contexts:
- {name: east, context: {cluster: east, user: me}}
- {name: west, context: {cluster: west, user: me}}
current-context: east
`,
);

beforeAll(() => {
  restore = setClusterConnector(async (options) => {
    asked.push(options.context ?? "(none)");
    const cluster = CLUSTERS[options.context ?? ""];
    if (!cluster) throw clusterUnreachable(`context "${options.context}" is unreachable`, "check it");
    return cluster;
  });
});

afterAll(() => {
  if (restore) setClusterConnector(restore);
});

interface Row {
  cluster: string;
  namespace: string;
  mode: string;
}

describe("status over several clusters", () => {
  it("--context a,b: one table with a cluster column, every cluster's namespaces", async () => {
    const r = await runCli(["status", "--context", "east,west"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^CLUSTER\s+NAMESPACE\s+STATE/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ["east", "shop"],
      ["west", "ledger"],
      ["west", "shop"],
    ]);
    expect(r.stderr).toContain("[east] read");
    expect(r.stderr).toContain("[west] read");
  });

  it("--all-contexts reads every context of the kubeconfig; -o json gives each namespace its cluster", async () => {
    asked.length = 0;
    const r = await runCli(["status", "--all-contexts", "--kubeconfig", kubeconfig, "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(asked.sort()).toEqual(["east", "west"]);
    const rows = (JSON.parse(r.stdout) as { namespaces: Row[] }).namespaces;
    expect(rows.map((n) => [n.cluster, n.namespace, n.mode])).toEqual([
      ["east", "shop", "sidecar"],
      ["west", "ledger", "sidecar"],
      ["west", "shop", "ambient"],
    ]);
  });

  it("a cluster that cannot be read is named with its exit code; the others are still listed", async () => {
    const r = await runCli(["status", "--context", "east,down", "-n", "shop", "-o", "json"]);
    expect(r.code).toBe(6);
    const out = JSON.parse(r.stdout) as {
      namespaces: Row[];
      errors: { cluster: string; exitCode: number }[];
    };
    expect(out.namespaces.map((n) => n.cluster)).toEqual(["east"]);
    expect(out.errors).toEqual([{ cluster: "down", error: 'context "down" is unreachable', exitCode: 6 }]);
    expect(r.stderr).toContain('error: [down] context "down" is unreachable');
  });

  it("reads the clusters at once, not one after the other", async () => {
    const waiting = new Set<string>();
    let release: () => void = () => {};
    const both = new Promise<void>((resolve) => (release = resolve));
    const previous = setClusterConnector(async (options) => {
      waiting.add(options.context ?? "");
      if (waiting.size === 2) release();
      // A reader that waited for the first cluster before asking for the second would time out here.
      await Promise.race([
        both,
        new Promise((_, reject) => setTimeout(() => reject(new Error("clusters read one at a time")), 5000)),
      ]);
      return CLUSTERS[options.context ?? ""] as FakeClusterPort;
    });
    try {
      const r = await runCli(["status", "--context", "east,west", "-A"]);
      expect(r.code, r.stderr).toBe(0);
      expect([...waiting].sort()).toEqual(["east", "west"]);
    } finally {
      setClusterConnector(previous);
    }
  });

  it("one context is the usual single-cluster table; --all-contexts with --context or -f is a usage error", async () => {
    const one = await runCli(["status", "--context", "west", "-A"]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^NAMESPACE\s/);
    expect((await runCli(["status", "--all-contexts", "--context", "east"])).code).toBe(2);
    expect((await runCli(["status", "--context", "east,west", "-f", "examples/bookinfo-mesh"])).code).toBe(2);
  });
});
