// A GitOps folder with wrong-shaped objects, through the built CLI as a user runs it: each one is
// an invalid-object blocker naming file:line and the field, none is translated or planned for
// deletion, no command crashes; and the real API server rejects each of them too (the schemas
// the tool checks against are the ones the cluster enforces).

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, createNamespace, deleteNamespaces, kubectl } from "./harness.js";

/** File name -> one malformed object (metadata.name "bad-*") and the field the finding must name. */
const BAD: Record<string, { yaml: (ns: string) => string; field: string }> = {
  "routes/http-map.yaml": {
    yaml: (ns) =>
      `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bad-http, namespace: ${ns}}\nspec:\n  hosts: [web]\n  http: {a: 1}\n`,
    field: "spec.http",
  },
  "routes/weight.yaml": {
    yaml: (ns) =>
      `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bad-weight, namespace: ${ns}}\nspec:\n  hosts: [web]\n  http:\n  - route:\n    - destination: {host: web}\n      weight: ten\n`,
    field: "spec.http[0].route[0].weight",
  },
  "rules/subsets-map.yaml": {
    yaml: (ns) =>
      `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: bad-subsets, namespace: ${ns}}\nspec:\n  host: web\n  subsets: {v1: {labels: {version: v1}}}\n`,
    field: "spec.subsets",
  },
  "security/action-list.yaml": {
    yaml: (ns) =>
      `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: bad-action, namespace: ${ns}}\nspec:\n  action: [DENY]\n`,
    field: "spec.action",
  },
  "security/selector-string.yaml": {
    yaml: (ns) =>
      `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: bad-selector, namespace: ${ns}}\nspec:\n  selector: app=web\n  action: DENY\n`,
    field: "spec.selector",
  },
};

const goodObjects = (ns: string) => `apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: good, namespace: ${ns}}
spec:
  hosts: [web]
  http:
  - route: [{destination: {host: web}}]
`;

describe("a manifest folder with invalid objects", () => {
  let ns: string;
  let dir: string;

  beforeAll(async () => {
    ns = await createNamespace("invalid", { "istio-injection": "enabled" });
    dir = mkdtempSync(join(tmpdir(), "invalid-e2e-"));
    for (const sub of ["routes", "rules", "security"]) mkdirSync(join(dir, sub));
    writeFileSync(
      join(dir, "namespace.yaml"),
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}, labels: {istio-injection: enabled}}\n---\n${goodObjects(ns)}`,
    );
    for (const [file, c] of Object.entries(BAD)) writeFileSync(join(dir, file), c.yaml(ns));
  });
  afterAll(deleteNamespaces);

  it("the API server rejects every one of them too", async () => {
    for (const file of Object.keys(BAD)) {
      const r = await kubectl(["apply", "--dry-run=server", "-f", join(dir, file)], { allowFail: true });
      expect(r.code, `${file}: ${r.stdout}`).not.toBe(0);
    }
  });

  it("assess: one invalid-object blocker per object, with file:line and the field", async () => {
    const r = await cli(["assess", "-f", dir, "-o", "json"]);
    expect(r.code, r.stderr).toBe(3);
    const findings = (JSON.parse(r.stdout).findings as { code: string; origin?: string; message: string }[])
      .filter((f) => f.code === "invalid-object")
      .sort((a, b) => String(a.origin).localeCompare(String(b.origin)));
    expect(findings.map((f) => f.origin)).toEqual(
      Object.keys(BAD)
        .sort()
        .map((file) => expect.stringMatching(new RegExp(`${file.replace(".", "\\.")}:1$`))),
    );
    for (const f of findings) {
      const file = Object.keys(BAD).find((k) => f.origin?.includes(k)) as string;
      expect(f.message).toContain(`${BAD[file]?.field}: expected`);
    }
  });

  it("translate and plan: the good VirtualService is translated, no invalid one is, none is deleted", async () => {
    const translate = await cli(["translate", "-f", dir, "-n", ns]);
    expect(translate.code, translate.stderr).toBe(3); // errors in the report: the invalid sources
    expect(translate.stdout).toContain("name: good");
    expect(translate.stdout).not.toContain("bad-");
    const plan = await cli(["plan", "-f", dir, "-n", ns, "-o", "json"]);
    expect(plan.code, plan.stderr).not.toBe(1);
    const [planned] = JSON.parse(plan.stdout).namespaces as {
      blocked: boolean;
      steps: unknown[];
      deleteInStep5: { ref: { name: string } }[];
    }[];
    expect(planned?.blocked).toBe(true); // the invalid objects block the namespace: no step runs
    expect(planned?.steps).toEqual([]);
    const deleted = planned?.deleteInStep5.map((d) => d.ref.name);
    expect(deleted).toContain("good");
    expect(deleted?.filter((name) => name.startsWith("bad-"))).toEqual([]);
    const obs = await cli(["observability", "-f", dir]);
    expect(obs.code, obs.stderr).not.toBe(1);
  });
});
