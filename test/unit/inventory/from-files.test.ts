import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AmbientMigrateError, ExitCode } from "../../../src/errors.js";
import { readManifests } from "../../../src/inventory/from-files.js";
import { K } from "../../../src/inventory/kinds.js";
import { FIXTURES, runCli } from "../assess/helpers.js";

const read = (text: string) => readManifests(["-"], { stdinText: text });

function problemsOf(text: string): string[] {
  try {
    read(text);
  } catch (err) {
    expect(err).toBeInstanceOf(AmbientMigrateError);
    expect((err as AmbientMigrateError).exitCode).toBe(ExitCode.invalidInput);
    return [...(err as AmbientMigrateError).details];
  }
  throw new Error("expected the read to fail");
}

describe("readManifests", () => {
  it("reads Istio's multi-document bookinfo.yaml with origins and the default namespace", () => {
    const { inventory, documents } = readManifests([`${FIXTURES}bookinfo/platform/bookinfo.yaml`], {
      defaultNamespace: "shop",
    });
    expect(documents).toBe(14);
    expect(inventory.inNamespace(K.Deployment, "shop").map((d) => d.metadata.name)).toEqual([
      "details-v1",
      "ratings-v1",
      "reviews-v1",
      "reviews-v2",
      "reviews-v3",
      "productpage-v1",
    ]);
    const details = inventory.get(K.Service, "shop", "details");
    expect(details && inventory.originOf(details)?.line).toBe(32);
  });

  it("reads JSON, kind: List, and typed lists whose items lack kind", () => {
    const json = JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } });
    const list = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: s, namespace: a}
---
apiVersion: v1
kind: PodList
items:
- metadata: {name: p, namespace: a}
  spec: {containers: []}
`;
    const dir = mkdtempSync(join(tmpdir(), "am-files-"));
    writeFileSync(join(dir, "ns.json"), json);
    writeFileSync(join(dir, "list.yaml"), list);
    writeFileSync(join(dir, "notes.txt"), "not a manifest");
    const { inventory, files } = readManifests([dir]);
    expect(files).toBe(2);
    expect(inventory.namespaceNames()).toEqual(["a"]);
    expect(inventory.get(K.Pod, "a", "p")).toMatchObject({ apiVersion: "v1", kind: "Pod" });
    expect(inventory.get(K.Service, "a", "s")).toBeDefined();
  });

  it("names file and line of malformed YAML", () => {
    const problems = problemsOf(
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\nkind: [unclosed\n",
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^<stdin>:7: malformed YAML/); // where the parser finds the flow sequence unclosed;
  });

  it("rejects documents that are not Kubernetes objects, with their location", () => {
    const problems = problemsOf(
      "- just\n- a list\n---\napiVersion: v1\nmetadata: {name: x}\n---\nkind: Pod\napiVersion: v1\n",
    );
    expect(problems).toEqual([
      "<stdin>:1: not a Kubernetes object (expected a mapping with apiVersion and kind)",
      "<stdin>:4: not a Kubernetes object: missing kind",
      "<stdin>:7: Pod has no metadata.name",
    ]);
  });

  it("counts and skips kinds the migration does not read", () => {
    const { inventory } = read(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: a}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: t, namespace: a}\n",
    );
    expect(inventory.count()).toBe(0);
    expect(Object.fromEntries(inventory.skipped)).toEqual({ Secret: 2 });
  });

  it("makes an unknown -n namespace exit 5", async () => {
    const { code, stderr } = await runCli([
      "assess",
      "-f",
      `${FIXTURES}bookinfo/networking/bookinfo-gateway.yaml`,
      "-n",
      "default",
      "-n",
      "elsewhere",
    ]);
    expect(code).toBe(ExitCode.notFound);
    expect(stderr).toContain("namespace(s) not found: elsewhere");
  });

  it("makes unreadable input exit 4", async () => {
    const { code, stderr } = await runCli(["assess", "-f", "/nonexistent/manifests"]);
    expect(code).toBe(ExitCode.invalidInput);
    expect(stderr).toContain("/nonexistent/manifests: no such file or directory");
  });
});
