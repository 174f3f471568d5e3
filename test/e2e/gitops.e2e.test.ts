// Issue 13, GitOps awareness, on the testbed: a sidecar namespace that Flux applied (its labels)
// and a VirtualService from a Helm chart. assess reports gitops-managed; migrate refuses (exit 2,
// the objects listed, nothing changed); with --allow-gitops-drift it goes on.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Finding } from "../../src/assess/finding.js";
import type { KubeObject } from "../../src/inventory/model.js";
import {
  apply,
  bookinfoApp,
  cli,
  createNamespace,
  deleteNamespaces,
  kubectl,
  kubectlJson,
} from "./harness.js";

const backupDir = mkdtempSync(join(tmpdir(), "am-e2e-gitops-"));

afterAll(deleteNamespaces);

async function labelsOf(ns: string): Promise<Record<string, string>> {
  return (await kubectlJson<KubeObject>(["get", "namespace", ns])).metadata.labels ?? {};
}

describe("objects that Flux and Helm manage", () => {
  it("are reported by assess, refused by migrate (exit 2), changed only with --allow-gitops-drift", async () => {
    const ns = await createNamespace("gitops", {
      "istio-injection": "enabled",
      "kustomize.toolkit.fluxcd.io/name": "apps",
      "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
    });
    await apply(bookinfoApp("reviews"), ns);
    await apply(
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  labels:
    app.kubernetes.io/managed-by: Helm
  annotations:
    meta.helm.sh/release-name: reviews
    meta.helm.sh/release-namespace: ${ns}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
`,
      ns,
    );
    await kubectl(["-n", ns, "rollout", "status", "deployment/reviews-v1", "--timeout=120s"]);

    const assessed = await cli(["assess", "-n", ns, "-o", "json"]);
    expect(assessed.code, assessed.stderr).toBe(0);
    const findings = (JSON.parse(assessed.stdout) as { findings: Finding[] }).findings.filter(
      (f) => f.code === "gitops-managed",
    );
    expect(findings.map((f) => `${f.kind}/${f.name}`)).toEqual([`Namespace/${ns}`, "VirtualService/reviews"]);
    expect(findings[0]?.message).toContain(
      "step 3 removes istio-injection=enabled, and Flux's kustomize-controller puts it back",
    );
    expect(findings[1]?.message).toContain(
      `Helm release ${ns}/reviews (meta.helm.sh/release-name=reviews): when step 5 deletes it`,
    );

    const before = await labelsOf(ns);
    const refused = await cli(["migrate", ns, "--yes", "--backup-dir", backupDir, "--timeout", "2m"]);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain("refusing to change 4 object(s) that Argo CD, Flux or Helm manage");
    for (const line of [
      `Namespace/${ns} (Flux Kustomization flux-system/apps): step 1 sets label istio.io/use-waypoint=waypoint`,
      `Namespace/${ns} (Flux Kustomization flux-system/apps): step 2 sets label istio.io/dataplane-mode=ambient`,
      `Namespace/${ns} (Flux Kustomization flux-system/apps): step 3 removes label istio-injection=enabled`,
      `VirtualService/${ns}/reviews (Helm release ${ns}/reviews): step 5 deletes it`,
    ])
      expect(refused.stderr).toContain(line);
    expect(refused.stderr).toContain("--allow-gitops-drift");
    // Nothing changed: no label, no journal, the VirtualService still there.
    expect(await labelsOf(ns)).toEqual(before);
    const journal = await kubectl(["-n", ns, "get", "configmap", "ambient-migrate-journal"], {
      allowFail: true,
    });
    expect(journal.code).not.toBe(0);
    await kubectl(["-n", ns, "get", "virtualservice", "reviews"]);

    const allowed = await cli([
      "migrate",
      ns,
      "--yes",
      "--allow-gitops-drift",
      "--to-step",
      "3",
      "--backup-dir",
      backupDir,
      "--timeout",
      "2m",
    ]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toContain(
      `gitops drift (allowed): Namespace/${ns} (Flux Kustomization flux-system/apps): step 3 removes label istio-injection=enabled`,
    );
    const after = await labelsOf(ns);
    expect(after["istio-injection"]).toBeUndefined();
    expect(after).toMatchObject({
      "istio.io/dataplane-mode": "ambient",
      "istio.io/use-waypoint": "waypoint",
    });
  });
});
