// status --context a,b / --all-contexts on the testbed. There is one testbed, so the two
// contexts of this kubeconfig point at the SAME apiserver: this shows the CLI reading real
// kubeconfig contexts concurrently into one table with a cluster column, not two distinct
// clusters (the unit test status-fleet.test.ts has clusters that differ).

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { cli, createNamespace, deleteNamespaces, kubeconfigPath } from "./harness.js";

afterAll(deleteNamespaces);

/** The testbed's kubeconfig with its one context copied as `blue` and `green`. */
function twoContexts(): string {
  const config = parse(readFileSync(kubeconfigPath(), "utf8")) as {
    contexts: { name: string; context: object }[];
    "current-context": string;
  };
  const current = config.contexts.find((c) => c.name === config["current-context"]) ?? config.contexts[0];
  if (!current) throw new Error("the testbed kubeconfig has no context");
  config.contexts = ["blue", "green"].map((name) => ({ name, context: current.context }));
  config["current-context"] = "blue";
  const file = join(mkdtempSync(join(tmpdir(), "am-e2e-fleet-")), "kubeconfig");
  writeFileSync(file, stringify(config));
  return file;
}

describe("status over several kubeconfig contexts (both on the one testbed)", () => {
  it("--context blue,green and --all-contexts: one row per context, with a cluster column", async () => {
    const ns = await createNamespace("fleet", { "istio-injection": "enabled" });
    const kubeconfig = twoContexts();
    const named = await cli(["status", "--kubeconfig", kubeconfig, "--context", "blue,green", "-n", ns]);
    expect(named.code, named.stderr).toBe(0);
    const rows = named.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^CLUSTER\s+NAMESPACE\s+STATE/);
    expect(rows.slice(1).map((r) => r.split(/\s+/).slice(0, 3).join(" "))).toEqual([
      `blue ${ns} sidecar`,
      `green ${ns} sidecar`,
    ]);
    expect(named.stderr).toContain("[blue] using kubeconfig");
    expect(named.stderr).toContain("[green] using kubeconfig");

    const all = await cli(["status", "--kubeconfig", kubeconfig, "--all-contexts", "-n", ns, "-o", "json"]);
    expect(all.code, all.stderr).toBe(0);
    const json = JSON.parse(all.stdout) as { namespaces: { cluster: string; namespace: string }[] };
    expect(json.namespaces.map((n) => `${n.cluster}/${n.namespace}`)).toEqual([`blue/${ns}`, `green/${ns}`]);
  });
});
