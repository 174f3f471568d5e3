// Shared by the hardening tests: an inventory from YAML text (read as `-f` reads files), the
// CLI run in-process, temporary directories.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { readText } from "../../../src/inventory/from-files.js";
import { Inventory } from "../../../src/inventory/model.js";
import { runCli } from "../assess/helpers.js";

export const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80}]
`;

/** Reads the texts as files named a.yaml, b.yaml...; problems are returned, not thrown. */
export function inventoryOf(...texts: string[]): { inventory: Inventory; problems: string[] } {
  const inventory = new Inventory({ type: "files", paths: [] });
  const problems: string[] = [];
  texts.forEach((text, i) => {
    readText(text, `${String.fromCharCode(97 + i)}.yaml`, inventory, problems);
  });
  return { inventory, problems };
}

export function virtualService(spec: string, name = "web"): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: shop}
spec:
${spec
  .trim()
  .split("\n")
  .map((l) => `  ${l}`)
  .join("\n")}
`;
}

/** Runs the CLI in-process; stdout and stderr are captured. */
export const cli = runCli;

/** A fresh temporary directory holding the given files. */
export function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "am-harden-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
