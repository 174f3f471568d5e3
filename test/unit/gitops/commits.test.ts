import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { assess } from "../../../src/assess/assess.js";
import { planCommits } from "../../../src/gitops/commits.js";
import { readManifests } from "../../../src/inventory/from-files.js";
import { buildPlan } from "../../../src/plan/build.js";
import type { PlanOptions } from "../../../src/plan/options.js";
import { wavesOf } from "../../../src/waves/waves.js";
import { EXAMPLE, inventoryOf, runCli } from "../assess/helpers.js";
import { APP_NS, BLOCKING_NP, deployment } from "../assess/traffic-safety-cases.js";

const NOW = new Date("2026-03-04T05:06:07.890Z");

function commits(format: "files" | "kustomize", options: PlanOptions = { acceptTranslationLosses: true }) {
  const { inventory } = readManifests([EXAMPLE]);
  const plan = buildPlan(inventory, assess(inventory, inventory.namespaceNames()), options);
  const files = planCommits(inventory, plan, wavesOf(inventory, plan), {
    format,
    now: NOW,
    planFlags: ["--accept-translation-losses"],
  });
  return new Map(files.map((f) => [f.name, f.text]));
}

const under = (files: Map<string, string>, prefix: string) =>
  [...files.keys()].filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));

describe("plan --output-dir: the commit layout", () => {
  it("kustomize: a base of the patched objects and one directory per step, each building on the one before", () => {
    const files = commits("kustomize", { acceptTranslationLosses: true, patchForcedInjection: true });
    expect(under(files, "wave-1/payments/").sort()).toEqual([
      "base/deployment-payments-api.yaml",
      "base/kustomization.yaml",
      "base/namespace-payments.yaml",
      "base/statefulset-ledger.yaml",
      "step-1-activate-waypoint/README.md",
      "step-1-activate-waypoint/add/authorizationpolicy-payments-require-jwt-waypoint.yaml",
      "step-1-activate-waypoint/add/gateway-waypoint.yaml",
      "step-1-activate-waypoint/add/requestauthentication-payments-jwt-waypoint.yaml",
      "step-1-activate-waypoint/kustomization.yaml",
      "step-1-activate-waypoint/patches/namespace-payments.yaml",
      "step-2-enable-ambient/README.md",
      "step-2-enable-ambient/kustomization.yaml",
      "step-2-enable-ambient/patches/namespace-payments.yaml",
      "step-3-remove-injection/README.md",
      "step-3-remove-injection/kustomization.yaml",
      "step-3-remove-injection/patches/namespace-payments.yaml",
      "step-3-remove-injection/patches/statefulset-ledger.yaml",
      "step-4-restart/README.md",
      "step-4-restart/kustomization.yaml",
      "step-4-restart/patches/deployment-payments-api.yaml",
      "step-4-restart/patches/statefulset-ledger.yaml",
      "step-5-remove-sidecar-config/README.md",
      "step-5-remove-sidecar-config/delete.yaml",
      "step-5-remove-sidecar-config/kustomization.yaml",
      "step-6-validate/README.md",
      "step-6-validate/kustomization.yaml",
    ]);
    const at = (name: string) => parse(files.get(`wave-1/payments/${name}`) ?? "");
    expect(at("base/kustomization.yaml").resources).toEqual([
      "namespace-payments.yaml",
      "statefulset-ledger.yaml",
      "deployment-payments-api.yaml",
    ]);
    expect(at("step-1-activate-waypoint/kustomization.yaml")).toEqual({
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: [
        "../base",
        "add/authorizationpolicy-payments-require-jwt-waypoint.yaml",
        "add/requestauthentication-payments-jwt-waypoint.yaml",
        "add/gateway-waypoint.yaml",
      ],
      patches: [{ path: "patches/namespace-payments.yaml" }],
    });
    expect(at("step-2-enable-ambient/kustomization.yaml").resources).toEqual(["../step-1-activate-waypoint"]);
    expect(at("step-6-validate/kustomization.yaml")).toEqual({
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: ["../step-5-remove-sidecar-config"],
    });
    // The base is the input's objects, as they were.
    expect(at("base/namespace-payments.yaml")).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "payments", labels: { "istio-injection": "enabled" } },
    });
  });

  it("patches are merge patches: labels set and removed (null), pod template keys, the restart stamp", () => {
    const files = commits("kustomize", { acceptTranslationLosses: true, patchForcedInjection: true });
    const at = (name: string) => parse(files.get(`wave-1/payments/${name}`) ?? "");
    expect(at("step-1-activate-waypoint/patches/namespace-payments.yaml")).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "payments", labels: { "istio.io/use-waypoint": "waypoint" } },
    });
    expect(at("step-3-remove-injection/patches/namespace-payments.yaml")).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "payments", labels: { "istio-injection": null } },
    });
    expect(at("step-3-remove-injection/patches/statefulset-ledger.yaml")).toEqual({
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "ledger", namespace: "payments" },
      spec: { template: { metadata: { labels: { "sidecar.istio.io/inject": null } } } },
    });
    expect(at("step-4-restart/patches/deployment-payments-api.yaml")).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "payments-api", namespace: "payments" },
      spec: {
        template: {
          metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": "2026-03-04T05:06:07Z" } },
        },
      },
    });
  });

  it("the delete list holds what step 5 deletes, as stubs kubectl delete -f reads; the README the verify command", () => {
    const files = commits("files");
    const stubs = parseAllDocuments(
      files.get("wave-1/payments/step-5-remove-sidecar-config/delete.yaml") ?? "",
    ).map((d) => d.toJS());
    expect(stubs).toEqual([
      {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: { name: "payments-require-jwt", namespace: "payments" },
      },
      {
        apiVersion: "security.istio.io/v1",
        kind: "RequestAuthentication",
        metadata: { name: "payments-jwt", namespace: "payments" },
      },
    ]);
    const readme = files.get("wave-1/payments/step-5-remove-sidecar-config/README.md") ?? "";
    expect(readme).toContain(
      "    ambient-migrate migrate --verify-only -n payments --step 5 --accept-translation-losses",
    );
    expect(readme).toContain("- RequestAuthentication/payments/payments-jwt: ");
    expect(readme).toContain("ambient-migrate backup -n payments");
    expect(readme).toContain("kubectl delete -f delete.yaml");
    expect(files.get("wave-1/payments/step-4-restart/README.md")).toContain(
      "kubectl patch deployment payments-api -n payments --type merge --patch-file patches/deployment-payments-api.yaml",
    );
  });

  it("files: no base and no kustomization; namespaces with no steps are named in the top README, not written", () => {
    const files = commits("files");
    expect([...files.keys()].filter((n) => n.endsWith("kustomization.yaml") || n.includes("/base/"))).toEqual(
      [],
    );
    expect(under(files, "wave-1/orders/").filter((n) => n.endsWith("README.md"))).toEqual([
      "step-3-remove-injection/README.md",
      "step-4-restart/README.md",
      "step-5-remove-sidecar-config/README.md",
      "step-6-validate/README.md",
    ]);
    expect([...files.keys()].some((n) => n.includes("legacy-vms"))).toBe(false);
    expect(files.get("README.md")).toMatch(/- legacy-vms: blocked: .*WorkloadEntry/);
  });
});

describe("an object the step replaces rather than adds", () => {
  it("is written to add/ and the README says it replaces the object of that name", () => {
    // The tool's HBONE allowance for web-only-8080 exists already (an earlier run): step 2 applies it again.
    const existing = BLOCKING_NP.replace("name: web-only-8080", "name: web-only-8080-ambient-hbone");
    const inventory = inventoryOf(APP_NS + deployment("web") + BLOCKING_NP + existing);
    const plan = buildPlan(inventory, assess(inventory, ["app"]));
    const files = new Map(
      planCommits(inventory, plan, wavesOf(inventory, plan), { format: "files", now: NOW }).map((f) => [
        f.name,
        f.text,
      ]),
    );
    expect(
      files.has("wave-1/app/step-2-enable-ambient/add/networkpolicy-web-only-8080-ambient-hbone.yaml"),
    ).toBe(true);
    expect(files.get("wave-1/app/step-2-enable-ambient/README.md")).toMatch(
      /NetworkPolicy\/app\/web-only-8080-ambient-hbone \(networkpolicy-web-only-8080-ambient-hbone\.yaml\): .*; it replaces the object of that name: change your manifest of it/,
    );
  });
});

describe("plan --output-dir and migrate --verify-only on the command line", () => {
  it("writes the files, refuses to overwrite them without --overwrite (exit 2)", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "am-commits-")), "out");
    const args = ["plan", "-f", EXAMPLE, "-A", "--output-dir", dir, "--format", "kustomize"];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/wrote \d+ file\(s\) to .*out \(format kustomize\)/);
    expect(existsSync(join(dir, "wave-1/payments/step-1-activate-waypoint/kustomization.yaml"))).toBe(true);
    expect(readFileSync(join(dir, "README.md"), "utf8")).toContain("format kustomize");
    const again = await runCli(args);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already exist");
    expect((await runCli([...args, "--overwrite"])).code).toBe(0);
    expect((await runCli(["plan", "-f", EXAMPLE, "--output-dir", dir, "--format", "helm"])).code).toBe(2);
  });

  it("--verify-only needs --step, and --step needs --verify-only (exit 2, before any cluster is read)", async () => {
    const noStep = await runCli(["migrate", "-n", "shop", "--verify-only"]);
    expect(noStep.code).toBe(2);
    expect(noStep.stderr).toContain("--verify-only needs --step N");
    const noVerify = await runCli(["migrate", "-n", "shop", "--step", "2"]);
    expect(noVerify.code).toBe(2);
    expect(noVerify.stderr).toContain("--step goes with --verify-only");
    const clash = await runCli(["migrate", "-n", "shop", "--verify-only", "--step", "2", "--to-step", "3"]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain("--verify-only does not go with --to-step");
    expect((await runCli(["migrate", "-n", "shop", "--verify-only", "--step", "7"])).code).toBe(2);
  });
});
