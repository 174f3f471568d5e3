// istiod's reachability as the apiserver sees it: a dry-run pod through the injector webhook.
import { describe, expect, it } from "vitest";
import { httpError } from "../../../src/cluster/errors.js";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import { istiodUnreachable, probeInjector } from "../../../src/cluster/istiod.js";
import type { DryRunOption } from "../../../src/cluster/port.js";
import type { KubeObject } from "../../../src/inventory/model.js";

const refused =
  'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": failed to call webhook: Post "https://127.0.0.1:15017/inject?timeout=10s": dial tcp 127.0.0.1:15017: connect: connection refused';

class Injector extends FakeClusterPort {
  down = false;
  sent: KubeObject[] = [];
  override async create(object: KubeObject, options?: DryRunOption): Promise<KubeObject> {
    this.sent.push(object);
    if (this.down)
      throw httpError(500, JSON.stringify({ reason: "InternalError", message: refused }), {
        verb: "create",
        group: "",
        resource: "pods",
        namespace: "shop",
      });
    const pod = await super.create(object, options);
    pod.spec.containers.push({ name: "istio-proxy" });
    return pod;
  }
}

describe("probeInjector", () => {
  it("sends a server-side dry-run pod and reports the sidecar the injector added", async () => {
    const port = new Injector();
    expect(await probeInjector(port, "shop")).toEqual({ reachable: true, injected: true });
    expect(port.calls.at(-1)).toMatchObject({
      verb: "create",
      resource: "pods",
      namespace: "shop",
      dryRun: true,
    });
    expect(port.all()).toEqual([]);
  });

  it("names the webhook and keeps the apiserver's words when the call fails", async () => {
    const port = new Injector();
    port.down = true;
    const verdict = await probeInjector(port, "shop", {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "web", image: "web:1" }] },
    });
    expect(verdict).toEqual({
      reachable: false,
      injected: false,
      webhook: "namespace.sidecar-injector.istio.io",
      message: refused,
    });
    expect(port.sent[0]?.metadata.labels).toEqual({ app: "web" });
  });
});

describe("probeInjector under a quota", () => {
  it("a pod refused by admission after the webhooks ran: the injector answered, what it adds is unseen", async () => {
    const port = new Injector();
    const quota =
      'pods "p" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1';
    port.create = async () => {
      throw httpError(403, JSON.stringify({ kind: "Status", reason: "Forbidden", message: quota }), {
        verb: "create",
        group: "",
        resource: "pods",
        namespace: "shop",
      });
    };
    const verdict = await probeInjector(port, "shop");
    expect(verdict).toMatchObject({ reachable: true, injected: false });
    expect(verdict.refused).toContain("exceeded quota");
    expect(await istiodUnreachable(port, "shop")).toBeUndefined();
  });
});

describe("istiodUnreachable", () => {
  it("an istiod Deployment without an available replica is unreachable, without a probe", async () => {
    const port = new Injector([
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "istiod", namespace: "istio-system", labels: { app: "istiod" } },
        status: {
          availableReplicas: 0,
          conditions: [
            { type: "Available", status: "False", message: "Deployment does not have minimum availability." },
          ],
        },
      },
    ]);
    expect(await istiodUnreachable(port, "shop")).toBe(
      "Deployment istio-system/istiod has no available replica (Deployment does not have minimum availability.)",
    );
    expect(port.sent).toEqual([]);
  });

  it("a failing injector webhook is unreachable; a working one is not", async () => {
    const port = new Injector();
    expect(await istiodUnreachable(port, "shop")).toBeUndefined();
    port.down = true;
    expect(await istiodUnreachable(port, "shop")).toBe(`its injection webhook fails: ${refused}`);
  });
});
