// Shared by the hardening tests: an inventory from YAML text, read as `-f` reads files.

import { readText } from "../../../src/inventory/from-files.js";
import { Inventory } from "../../../src/inventory/model.js";

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
