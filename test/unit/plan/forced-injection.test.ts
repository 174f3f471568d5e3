// plan --patch-forced-injection: step 3 also removes the pod template keys that make the injector
// select a workload on its own, as template-metadata changes with their kubectl lines and rollback.

import { describe, expect, it } from "vitest";
import { assess } from "../../../src/assess/assess.js";
import { buildPlan } from "../../../src/plan/build.js";
import type { NamespacePlan } from "../../../src/plan/model.js";
import type { PlanOptions } from "../../../src/plan/options.js";
import { inventoryOf, namespaceYaml } from "../assess/helpers.js";

const workload = (kind: string, name: string, metadata: string, selector = `{app: ${name}}`) => {
  const template = `metadata: ${metadata}
      spec: {containers: [{name: app, image: x}]}`;
  const spec =
    kind === "CronJob"
      ? `schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        ${template.replace(/\n {6}/g, "\n        ")}`
      : `selector:
    matchLabels: ${selector}
  template:
    ${template.replace(/\n {6}/g, "\n    ")}`;
  return `apiVersion: ${kind === "CronJob" ? "batch/v1" : "apps/v1"}
kind: ${kind}
metadata: {name: ${name}}
spec:
  ${spec}
---
`;
};

const YAML =
  namespaceYaml("app", { "istio-injection": "enabled" }) +
  workload("Deployment", "web", `{labels: {app: web, sidecar.istio.io/inject: "true"}}`) +
  workload("StatefulSet", "db", `{labels: {app: db}, annotations: {sidecar.istio.io/inject: "true"}}`) +
  workload("CronJob", "report", `{labels: {app: report, istio.io/rev: "1-27"}}`) +
  // The selector matches on istio.io/rev: removing it from the template would be rejected.
  workload(
    "Deployment",
    "pinned",
    `{labels: {app: pinned, istio.io/rev: "1-27"}}`,
    `{app: pinned, istio.io/rev: "1-27"}`,
  ) +
  // Opted out: the template does not force injection, so nothing is patched.
  workload(
    "Deployment",
    "plain",
    `{labels: {app: plain, istio.io/rev: "1-27", sidecar.istio.io/inject: "false"}}`,
  );

function step3(options: PlanOptions): NamespacePlan["steps"][number] {
  const inventory = inventoryOf(YAML, "app");
  const plan = buildPlan(inventory, assess(inventory, ["app"]), options).namespaces[0];
  const found = plan?.steps.find((s) => s.step === 3);
  if (!found) throw new Error(`no step 3: ${JSON.stringify(plan?.notes)}`);
  return found;
}

describe("plan --patch-forced-injection", () => {
  it("without it, step 3 only removes the namespace label and notes each forcing template", () => {
    const s3 = step3({});
    expect(s3.changes).toEqual([
      {
        type: "label",
        target: { apiVersion: "v1", kind: "Namespace", name: "app" },
        key: "istio-injection",
        value: null,
        previous: "enabled",
      },
    ]);
    expect(s3.notes).toHaveLength(4);
    expect(s3.notes.every((n) => n.endsWith("fix it before step 4 or it comes back with a sidecar"))).toBe(
      true,
    );
  });

  it("removes exactly the forcing keys, label or annotation, from Deployments, StatefulSets and CronJobs", () => {
    const s3 = step3({ patchForcedInjection: true });
    const ref = (apiVersion: string, kind: string, name: string) => ({
      apiVersion,
      kind,
      namespace: "app",
      name,
    });
    expect(s3.changes.slice(1)).toEqual([
      {
        type: "template-metadata",
        target: ref("apps/v1", "Deployment", "web"),
        field: "labels",
        key: "sidecar.istio.io/inject",
        value: null,
        previous: "true",
      },
      {
        type: "template-metadata",
        target: ref("apps/v1", "StatefulSet", "db"),
        field: "annotations",
        key: "sidecar.istio.io/inject",
        value: null,
        previous: "true",
      },
      {
        type: "template-metadata",
        target: ref("batch/v1", "CronJob", "report"),
        field: "labels",
        key: "istio.io/rev",
        value: null,
        previous: "1-27",
      },
    ]);
  });

  it("renders each change as a merge patch of the pod template, and its rollback with the previous value", () => {
    const s3 = step3({ patchForcedInjection: true });
    expect(s3.commands).toEqual([
      "kubectl label namespace app istio-injection-",
      `kubectl patch deployment web -n app --type=merge -p '{"spec":{"template":{"metadata":{"labels":{"sidecar.istio.io/inject":null}}}}}'`,
      `kubectl patch statefulset db -n app --type=merge -p '{"spec":{"template":{"metadata":{"annotations":{"sidecar.istio.io/inject":null}}}}}'`,
      `kubectl patch cronjob report -n app --type=merge -p '{"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"labels":{"istio.io/rev":null}}}}}}}'`,
    ]);
    // Newest first: the templates are restored before the namespace label.
    expect(s3.rollback).toEqual([
      `kubectl patch cronjob report -n app --type=merge -p '{"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"labels":{"istio.io/rev":"1-27"}}}}}}}'`,
      `kubectl patch statefulset db -n app --type=merge -p '{"spec":{"template":{"metadata":{"annotations":{"sidecar.istio.io/inject":"true"}}}}}'`,
      `kubectl patch deployment web -n app --type=merge -p '{"spec":{"template":{"metadata":{"labels":{"sidecar.istio.io/inject":"true"}}}}}'`,
      "kubectl label namespace app istio-injection=enabled --overwrite",
    ]);
    // What is patched says so; what cannot be (a selector label) keeps the note to fix it by hand.
    expect(s3.notes.filter((n) => n.includes("--patch-forced-injection removes it"))).toHaveLength(3);
    expect(s3.notes.filter((n) => n.includes("fix it before step 4"))).toEqual([
      expect.stringContaining("Deployment pinned"),
    ]);
  });
});
