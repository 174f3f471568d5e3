// Builds inventories from YAML text or from the real upstream fixture files, for assess and plan tests.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { assess } from "../../../src/assess/assess.js";
import type { Finding } from "../../../src/assess/finding.js";
import { readManifests } from "../../../src/inventory/from-files.js";
import type { Inventory } from "../../../src/inventory/model.js";

export const FIXTURES = fileURLToPath(
  new URL("../../../../shared/fixtures/istio-upstream/", import.meta.url),
);
export const EXAMPLE = fileURLToPath(new URL("../../../examples/bookinfo-mesh/", import.meta.url));

export function inventoryOf(yaml: string, defaultNamespace?: string): Inventory {
  return readManifests(["-"], { stdinText: yaml, ...(defaultNamespace ? { defaultNamespace } : {}) })
    .inventory;
}

/** An upstream fixture file's text with every object put into a namespace. */
export function fixture(path: string): string {
  return readFileSync(`${FIXTURES}${path}`, "utf8");
}

export function namespaceYaml(name: string, labels: Record<string, string> = {}): string {
  const entries = Object.entries(labels);
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
${entries.length > 0 ? `  labels:\n${entries.map(([k, v]) => `    ${k}: "${v}"`).join("\n")}\n` : ""}---
`;
}

export function findingsOf(yaml: string, namespaces?: string[], defaultNamespace = "app"): Finding[] {
  const inventory = inventoryOf(yaml, defaultNamespace);
  return assess(inventory, namespaces ?? inventory.namespaceNames()).findings;
}

export const codes = (findings: Finding[]) => findings.map((f) => f.code);

/** Runs the CLI in-process; returns its exit code and what it wrote to stdout and stderr. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { run } = await import("../../../src/cli/main.js");
  let stdout = "";
  let stderr = "";
  const io = {
    out: { write: (text: string) => (stdout += text) },
    err: { write: (text: string) => (stderr += text) },
  };
  process.exitCode = undefined; // run() reads process.exitCode, which outlives a previous run
  try {
    const code = await run(args, io);
    return { code, stdout, stderr };
  } finally {
    process.exitCode = undefined;
  }
}
