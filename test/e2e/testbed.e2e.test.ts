// The testbed itself: each "done when" of the testbed shown against the real control plane.
import { afterAll, describe, expect, it } from "vitest";
import {
  apply,
  bookinfoApp,
  createNamespace,
  deleteNamespaces,
  istioctl,
  kubectl,
  kubectlJson,
} from "./harness.js";

interface Pod {
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: { containers: { name: string }[]; initContainers?: { name: string; restartPolicy?: string }[] };
  status: {
    phase: string;
    containerStatuses?: { ready: boolean }[];
    initContainerStatuses?: { name: string; ready: boolean }[];
  };
}

const details = bookinfoApp("details");

async function pods(namespace: string, selector = ""): Promise<Pod[]> {
  const list = await kubectlJson<{ items: Pod[] }>([
    "-n",
    namespace,
    "get",
    "pods",
    ...(selector ? ["-l", selector] : []),
  ]);
  return list.items;
}

async function rolloutStatus(namespace: string, deployment: string): Promise<void> {
  await kubectl(["-n", namespace, "rollout", "status", `deployment/${deployment}`, "--timeout=120s"]);
}

describe("testbed", () => {
  afterAll(deleteNamespaces);

  it("injects istio-proxy through the real istiod webhook: pods run 2/2", async () => {
    const ns = await createNamespace("tb-inject", { "istio-injection": "enabled" });
    await apply(details, ns);
    await rolloutStatus(ns, "details-v1");
    const list = await pods(ns, "app=details");
    expect(list.length).toBeGreaterThan(0);
    for (const pod of list) {
      const names = [
        ...pod.spec.containers.map((c) => c.name),
        ...(pod.spec.initContainers ?? []).map((c) => c.name),
      ];
      expect(names).toContain("istio-proxy");
      expect(pod.metadata.annotations?.["sidecar.istio.io/status"]).toBeDefined();
      expect(pod.status.phase).toBe("Running");
      // READY as kubectl counts it: containers plus native sidecars (restartable init containers).
      const natives = new Set(
        (pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always").map((c) => c.name),
      );
      const ready = [
        ...(pod.status.containerStatuses ?? []),
        ...(pod.status.initContainerStatuses ?? []).filter((c) => natives.has(c.name)),
      ];
      expect(ready.length).toBe(2);
      expect(ready.every((c) => c.ready)).toBe(true);
    }
  });

  it("rollout restart creates new pods and rollout status completes", async () => {
    const ns = await createNamespace("tb-restart");
    await apply(details, ns);
    await rolloutStatus(ns, "details-v1");
    const before = (await pods(ns, "app=details")).map((p) => p.metadata.name);
    await kubectl(["-n", ns, "rollout", "restart", "deployment/details-v1"]);
    await rolloutStatus(ns, "details-v1");
    const after = (await pods(ns, "app=details")).filter((p) => p.status.phase === "Running");
    expect(after.length).toBeGreaterThan(0);
    for (const p of after) expect(before).not.toContain(p.metadata.name);
  });

  it("istioctl waypoint apply --wait returns and the Gateway is Programmed", async () => {
    const ns = await createNamespace("tb-waypoint");
    await istioctl(["waypoint", "apply", "-n", ns, "--wait"]);
    const gw = await kubectlJson<{ status: { conditions: { type: string; status: string }[] } }>([
      "-n",
      ns,
      "get",
      "gateways.gateway.networking.k8s.io",
      "waypoint",
    ]);
    expect(gw.status.conditions.find((c) => c.type === "Programmed")?.status).toBe("True");
  });

  it("ambient namespace: pods carry the redirection annotation and ztunnel lists them as HBONE", async () => {
    const ns = await createNamespace("tb-ambient", { "istio.io/dataplane-mode": "ambient" });
    await apply(details, ns);
    await rolloutStatus(ns, "details-v1");
    await kubectl(["-n", ns, "rollout", "restart", "deployment/details-v1"]);
    await rolloutStatus(ns, "details-v1");
    const [pod] = (await pods(ns, "app=details")).filter((p) => p.status.phase === "Running");
    expect(pod).toBeDefined();
    await kubectl([
      "-n",
      ns,
      "wait",
      `pod/${pod!.metadata.name}`,
      "--for=jsonpath={.metadata.annotations.ambient\\.istio\\.io/redirection}=enabled",
      "--timeout=60s",
    ]);
    // The real istioctl port-forwards to a ztunnel pod's admin port, as on any cluster.
    const out = await waitForOutput(
      () => istioctl(["ztunnel-config", "workloads", "--workload-namespace", ns]),
      (text) => text.includes(pod!.metadata.name),
    );
    const row = out.split("\n").find((l) => l.includes(pod!.metadata.name));
    expect(row).toMatch(/\bHBONE\b/);
  });

  it("a selector policy with L7 rules in an ambient namespace gets istiod's ZtunnelAccepted condition", async () => {
    const ns = await createNamespace("tb-l7", { "istio.io/dataplane-mode": "ambient" });
    await apply(details, ns);
    await apply(
      `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: details-get-only}
spec:
  selector: {matchLabels: {app: details}}
  action: ALLOW
  rules:
  - to:
    - operation: {methods: ["GET"]}
`,
      ns,
    );
    await kubectl([
      "-n",
      ns,
      "wait",
      "authorizationpolicies.security.istio.io/details-get-only",
      '--for=jsonpath={.status.conditions[?(@.type=="ZtunnelAccepted")].reason}=UnsupportedValue',
      "--timeout=60s",
    ]);
    const ap = await kubectlJson<{ status: { conditions: { type: string; message: string }[] } }>([
      "-n",
      ns,
      "get",
      "authorizationpolicies.security.istio.io",
      "details-get-only",
    ]);
    const cond = ap.status.conditions.find((c) => c.type === "ZtunnelAccepted");
    expect(cond?.message).toMatch(/methods/);
  });
});

/** Retries a read-only command until its output satisfies `ok`; ztunnel's view is eventually consistent. */
async function waitForOutput(
  read: () => Promise<{ stdout: string }>,
  ok: (text: string) => boolean,
  timeoutMs = 60_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    last = (await read()).stdout;
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`timed out; last output:\n${last}`);
}
