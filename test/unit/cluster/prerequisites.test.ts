import { describe, expect, it } from "vitest";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import { checkAmbientPrerequisites } from "../../../src/cluster/prerequisites.js";
import { ExitCode } from "../../../src/errors.js";
import type { KubeObject } from "../../../src/inventory/model.js";

const ztunnel: KubeObject = {
  apiVersion: "apps/v1",
  kind: "DaemonSet",
  metadata: { name: "ztunnel", namespace: "istio-system", labels: { app: "ztunnel" } },
  spec: { selector: { matchLabels: { app: "ztunnel" } } },
};
const ztunnelPod: KubeObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "ztunnel-x", namespace: "istio-system", labels: { app: "ztunnel" } },
  status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
};
const istiod: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "istiod", namespace: "istio-system", labels: { app: "istiod" } },
};
const injector: KubeObject = {
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "MutatingWebhookConfiguration",
  metadata: { name: "istio-sidecar-injector", labels: { app: "sidecar-injector" } },
};

describe("checkAmbientPrerequisites", () => {
  it("finds istiod's Deployment and the ztunnel DaemonSet", async () => {
    expect(await checkAmbientPrerequisites(new FakeClusterPort([istiod, ztunnel, ztunnelPod]))).toEqual({
      istiod: "Deployment istio-system/istiod",
      ztunnel: "DaemonSet istio-system/ztunnel",
    });
  });

  it("accepts an istiod outside the cluster through its injector webhook", async () => {
    const found = await checkAmbientPrerequisites(new FakeClusterPort([injector, ztunnel, ztunnelPod]));
    expect(found.istiod).toBe("webhook istio-sidecar-injector");
  });

  it("accepts a ztunnel whose pods are not Ready yet (the gates wait for them)", async () => {
    const notReady = {
      ...ztunnelPod,
      status: { phase: "Running", conditions: [{ type: "Ready", status: "False" }] },
    };
    const found = await checkAmbientPrerequisites(new FakeClusterPort([istiod, ztunnel, notReady]));
    expect(found.ztunnel).toBe("DaemonSet istio-system/ztunnel");
  });

  it("fails with exit 8 without istiod, without ztunnel, or without Gateway API CRDs", async () => {
    const noIstiod = await checkAmbientPrerequisites(new FakeClusterPort([ztunnel])).catch((e) => e);
    expect(noIstiod).toMatchObject({ exitCode: ExitCode.prerequisiteMissing });
    expect(noIstiod.message).toContain("no istiod");
    const noZtunnel = await checkAmbientPrerequisites(new FakeClusterPort([istiod])).catch((e) => e);
    expect(noZtunnel.message).toContain("no ztunnel DaemonSet");
    const noGatewayApi = new FakeClusterPort([istiod, ztunnel]);
    noGatewayApi.missing.add("httproutes.gateway.networking.k8s.io");
    const error = await checkAmbientPrerequisites(noGatewayApi).catch((e) => e);
    expect(error.exitCode).toBe(ExitCode.prerequisiteMissing);
    expect(error.hint).toContain("standard-install.yaml");
  });
});
