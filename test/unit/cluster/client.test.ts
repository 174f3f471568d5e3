import { describe, expect, it } from "vitest";
import { ApiClusterPort } from "../../../src/cluster/client.js";
import { RESTARTED_AT } from "../../../src/cluster/port.js";
import { ExitCode } from "../../../src/errors.js";
import { K, kindInfo } from "../../../src/inventory/kinds.js";
import { json, ScriptedTransport, statusBody } from "./fake-transport.js";

const pods = kindInfo(K.Pod);
const podItems = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({
    metadata: { name: `p${from + i}`, namespace: `ns${(from + i) % 7}` },
  }));

describe("list", () => {
  it("reads every page with limit and continue, once for the whole cluster", async () => {
    const total = 1234;
    const transport = new ScriptedTransport((req) => {
      expect(req.path).toBe("/api/v1/pods");
      const start = req.query?.continue ? Number(req.query.continue) : 0;
      const end = Math.min(total, start + Number(req.query?.limit));
      return json(200, {
        kind: "PodList",
        metadata: { resourceVersion: "77", ...(end < total ? { continue: String(end) } : {}) },
        items: podItems(start, end),
      });
    });
    const pages: number[] = [];
    const result = await new ApiClusterPort(transport).list(pods, undefined, {
      onPage: (n) => pages.push(n),
    });
    expect(result.items).toHaveLength(total);
    expect(new Set(result.items.map((p) => p.metadata.name)).size).toBe(total);
    expect(result.items[0]).toMatchObject({ apiVersion: "v1", kind: "Pod" });
    expect(Object.keys(result.items[0] ?? {}).slice(0, 2)).toEqual(["apiVersion", "kind"]);
    expect(result.resourceVersion).toBe("77");
    expect(transport.requests.map((r) => r.query?.continue)).toEqual([undefined, "500", "1000"]);
    expect(pages).toEqual([500, 1000, 1234]);
  });

  it("starts over once when the continue token expired (410)", async () => {
    let calls = 0;
    const transport = new ScriptedTransport((req) => {
      calls++;
      if (calls === 2) return json(410, statusBody(410, "Expired", "continue token expired"));
      const start = req.query?.continue ? 1 : 0;
      return json(200, {
        metadata: { resourceVersion: String(calls), ...(start === 0 ? { continue: "1" } : {}) },
        items: podItems(start, start + 1),
      });
    });
    const result = await new ApiClusterPort(transport).list(pods);
    expect(result.items.map((p) => p.metadata.name)).toEqual(["p0", "p1"]);
    expect(calls).toBe(4);
  });

  it("lists one namespace under its path", async () => {
    const transport = new ScriptedTransport(() => json(200, { metadata: {}, items: [] }));
    await new ApiClusterPort(transport).list(kindInfo(K.AuthorizationPolicy), "shop");
    expect(transport.requests[0]?.path).toBe(
      "/apis/security.istio.io/v1/namespaces/shop/authorizationpolicies",
    );
  });
});

describe("errors", () => {
  it("names the verb, resource and scope that RBAC refused (exit 7)", async () => {
    const transport = new ScriptedTransport((req) =>
      req.method === "GET"
        ? json(200, { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", resourceVersion: "5" } })
        : json(
            403,
            statusBody(
              403,
              "Forbidden",
              'namespaces "shop" is forbidden: User "system:serviceaccount:x:y" cannot patch resource "namespaces" in API group "" at the cluster scope',
            ),
          ),
    );
    const error = await new ApiClusterPort(transport)
      .patchLabels(
        { apiVersion: "v1", kind: "Namespace", name: "shop" },
        { "istio.io/dataplane-mode": "ambient" },
      )
      .catch((e) => e);
    expect(error.exitCode).toBe(ExitCode.forbidden);
    expect(error.message).toBe("forbidden: cannot patch namespaces (cluster scope)");
    expect(error.hint).toContain("deploy/rbac/ambient-migrate.yaml");
    expect(error.details[0]).toContain("system:serviceaccount:x:y");
  });

  it("tells admission's refusal (a quota) from RBAC's, in the apiserver's words", async () => {
    const quota =
      'pods "probe-x" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1';
    const transport = new ScriptedTransport(() => json(403, statusBody(403, "Forbidden", quota)));
    const error = await new ApiClusterPort(transport)
      .create({ apiVersion: "v1", kind: "Pod", metadata: { name: "probe-x", namespace: "shop" } })
      .catch((e) => e);
    expect(error.message).toBe(
      `create pods in namespace shop refused by the apiserver's admission: ${quota}`,
    );
    expect(error.hint).not.toContain("ClusterRole");
  });

  it("says the namespace for namespaced refusals", async () => {
    const transport = new ScriptedTransport(() =>
      json(403, statusBody(403, "Forbidden", 'x is forbidden: User "u" cannot do resource "x"')),
    );
    const error = await new ApiClusterPort(transport)
      .delete({ apiVersion: "networking.istio.io/v1", kind: "VirtualService", namespace: "shop", name: "r" })
      .catch((e) => e);
    expect(error.message).toBe(
      "forbidden: cannot delete virtualservices.networking.istio.io in namespace shop",
    );
  });

  it("maps a refused connection to exit 6 naming context and server", async () => {
    const refused = Object.assign(new TypeError("fetch failed"), {
      cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), { code: "ECONNREFUSED" }),
    });
    const transport = new ScriptedTransport(() => {
      throw refused;
    });
    const error = await new ApiClusterPort(transport).serverVersion().catch((e) => e);
    expect(error.exitCode).toBe(ExitCode.clusterUnreachable);
    expect(error.message).toContain('context "test-context"');
    expect(error.message).toContain("https://test.invalid:6443");
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("maps TLS failures to exit 6 with a certificate hint", async () => {
    const tls = Object.assign(new TypeError("fetch failed"), {
      cause: Object.assign(new Error("self-signed certificate in certificate chain"), {
        code: "SELF_SIGNED_CERT_IN_CHAIN",
      }),
    });
    const error = await new ApiClusterPort(
      new ScriptedTransport(() => {
        throw tls;
      }),
    )
      .serverVersion()
      .catch((e) => e);
    expect(error.exitCode).toBe(ExitCode.clusterUnreachable);
    expect(error.hint).toContain("certificate");
  });

  it("treats 401 as forbidden with a credentials hint", async () => {
    const error = await new ApiClusterPort(
      new ScriptedTransport(() => json(401, statusBody(401, "Unauthorized", "Unauthorized"))),
    )
      .list(pods)
      .catch((e) => e);
    expect(error.exitCode).toBe(ExitCode.forbidden);
    expect(error.hint).toContain("credentials");
  });

  it("does not swallow a bug as a network error", async () => {
    const error = await new ApiClusterPort(
      new ScriptedTransport(() => {
        throw new TypeError("x is not a function");
      }),
    )
      .list(pods)
      .catch((e) => e);
    expect(error).toBeInstanceOf(TypeError);
  });
});

describe("changes", () => {
  it("patchLabels sends a conditional merge patch and returns the previous values", async () => {
    const transport = new ScriptedTransport((req) =>
      req.method === "GET"
        ? json(200, {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: "shop", resourceVersion: "9", labels: { "istio-injection": "enabled" } },
          })
        : json(200, { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: {} } }),
    );
    const result = await new ApiClusterPort(transport).patchLabels(
      { apiVersion: "v1", kind: "Namespace", name: "shop" },
      { "istio-injection": null, "istio.io/dataplane-mode": "ambient" },
      { dryRun: true },
    );
    expect(result.previous).toEqual({ "istio-injection": "enabled", "istio.io/dataplane-mode": null });
    const patch = transport.requests[1];
    expect(patch?.method).toBe("PATCH");
    expect(patch?.path).toBe("/api/v1/namespaces/shop");
    expect(patch?.contentType).toBe("application/merge-patch+json");
    expect(patch?.query?.dryRun).toBe("All");
    expect(patch?.body).toEqual({
      metadata: {
        labels: { "istio-injection": null, "istio.io/dataplane-mode": "ambient" },
        resourceVersion: "9",
      },
    });
  });

  it("patchLabels re-reads and retries on a conflict", async () => {
    let patches = 0;
    const transport = new ScriptedTransport((req) => {
      if (req.method === "GET") {
        return json(200, {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "a", namespace: "n", resourceVersion: "1" },
        });
      }
      patches++;
      return patches === 1
        ? json(409, statusBody(409, "Conflict", "the object has been modified"))
        : json(200, { apiVersion: "v1", kind: "Service", metadata: { name: "a", namespace: "n" } });
    });
    await new ApiClusterPort(transport).patchLabels(
      { apiVersion: "v1", kind: "Service", namespace: "n", name: "a" },
      { "istio.io/use-waypoint": "waypoint" },
    );
    expect(patches).toBe(2);
  });

  it("apply is a server-side apply with the ambient-migrate field manager", async () => {
    const transport = new ScriptedTransport((req) => json(200, req.body));
    const route = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "reviews", namespace: "shop" },
      spec: { parentRefs: [{ name: "reviews", kind: "Service", group: "" }] },
    };
    await new ApiClusterPort(transport).apply(route, { dryRun: true });
    const req = transport.requests[0];
    expect(req?.path).toBe("/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/reviews");
    expect(req?.contentType).toBe("application/apply-patch+yaml");
    expect(req?.query).toMatchObject({ fieldManager: "ambient-migrate", dryRun: "All" });
    expect(req?.body).toEqual(route);
  });

  it("delete sends the resourceVersion precondition and reports already-gone objects", async () => {
    const transport = new ScriptedTransport(() => json(404, statusBody(404, "NotFound", "gone")));
    const deleted = await new ApiClusterPort(transport).delete(
      { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", namespace: "shop", name: "p" },
      { resourceVersion: "42", dryRun: true },
    );
    expect(deleted).toBe(false);
    expect(transport.requests[0]?.body).toMatchObject({
      preconditions: { resourceVersion: "42" },
      dryRun: ["All"],
      propagationPolicy: "Background",
    });
  });

  it("restart stamps restartedAt on the pod template as kubectl does", async () => {
    const transport = new ScriptedTransport((req) =>
      json(200, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, echoed: req.body }),
    );
    await new ApiClusterPort(transport).restart(
      { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "d" },
      { at: new Date("2026-11-20T10:11:12.345Z") },
    );
    expect(transport.requests[0]?.path).toBe("/apis/apps/v1/namespaces/shop/deployments/d");
    expect(transport.requests[0]?.body).toEqual({
      spec: { template: { metadata: { annotations: { [RESTARTED_AT]: "2026-11-20T10:11:12Z" } } } },
    });
  });

  it("resolves kinds outside the registry through discovery (Lease)", async () => {
    const transport = new ScriptedTransport((req) =>
      req.path === "/apis/coordination.k8s.io/v1"
        ? json(200, { resources: [{ name: "leases", kind: "Lease", namespaced: true }] })
        : json(404, statusBody(404, "NotFound", "no")),
    );
    const found = await new ApiClusterPort(transport).get({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      namespace: "shop",
      name: "ambient-migrate",
    });
    expect(found).toBeUndefined();
    expect(transport.requests.at(-1)?.path).toBe(
      "/apis/coordination.k8s.io/v1/namespaces/shop/leases/ambient-migrate",
    );
  });

  it("hasResource asks discovery once per group/version", async () => {
    const transport = new ScriptedTransport((req) =>
      req.path === "/apis/networking.istio.io/v1"
        ? json(200, { resources: [{ name: "virtualservices", kind: "VirtualService", namespaced: true }] })
        : json(404, statusBody(404, "NotFound", "the server could not find the requested resource")),
    );
    const port = new ApiClusterPort(transport);
    expect(await port.hasResource("networking.istio.io", "v1", "virtualservices")).toBe(true);
    expect(await port.hasResource("networking.istio.io", "v1", "sidecars")).toBe(false);
    expect(await port.hasResource("gateway.networking.k8s.io", "v1", "httproutes")).toBe(false);
    // Aggregated discovery first (this server answers 404: it predates it), then per group/version.
    expect(transport.requests.map((r) => r.path)).toEqual([
      "/apis",
      "/apis/networking.istio.io/v1",
      "/apis/gateway.networking.k8s.io/v1",
    ]);
  });

  it("asks aggregated discovery once for every group when the server has it (1.30+)", async () => {
    const transport = new ScriptedTransport((req) => {
      if (req.path !== "/apis") return json(200, { kind: "Lease" });
      expect(req.accept).toMatch(/^application\/json;g=apidiscovery\.k8s\.io;v=v2;as=APIGroupDiscoveryList,/);
      return json(200, aggregatedDiscovery);
    });
    const port = new ApiClusterPort(transport);
    expect(await port.hasResource("networking.istio.io", "v1", "virtualservices")).toBe(true);
    expect(await port.hasResource("networking.istio.io", "v1", "sidecars")).toBe(false);
    expect(await port.hasResource("gateway.networking.k8s.io", "v1", "httproutes")).toBe(false);
    expect(
      await port.get({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: "a", name: "b" }),
    ).toEqual({ kind: "Lease" });
    expect(transport.requests.map((r) => r.path)).toEqual([
      "/apis",
      "/apis/coordination.k8s.io/v1/namespaces/a/leases/b",
    ]);
  });
});

const aggregatedDiscovery = {
  kind: "APIGroupDiscoveryList",
  apiVersion: "apidiscovery.k8s.io/v2",
  items: [
    {
      metadata: { name: "networking.istio.io" },
      versions: [
        {
          version: "v1",
          resources: [
            { resource: "virtualservices", responseKind: { kind: "VirtualService" }, scope: "Namespaced" },
          ],
        },
      ],
    },
    {
      metadata: { name: "coordination.k8s.io" },
      versions: [
        {
          version: "v1",
          resources: [{ resource: "leases", responseKind: { kind: "Lease" }, scope: "Namespaced" }],
        },
      ],
    },
  ],
};

describe("watch-list", () => {
  const event = (type: string, object: unknown) => JSON.stringify({ type, object });
  const bookmark = (rv: string, end: boolean) =>
    event("BOOKMARK", {
      kind: "Pod",
      metadata: {
        resourceVersion: rv,
        ...(end ? { annotations: { "k8s.io/initial-events-end": "true" } } : {}),
      },
    });

  /** A port that has seen aggregated discovery; lists (not streams) answer with one pod. */
  async function recentServer() {
    const transport = new ScriptedTransport((req) =>
      req.path === "/apis"
        ? json(200, aggregatedDiscovery)
        : json(200, { metadata: { resourceVersion: "9" }, items: podItems(0, 1) }),
    );
    const port = new ApiClusterPort(transport);
    await port.hasResource("networking.istio.io", "v1", "virtualservices");
    return { transport, port };
  }

  it("lists as one watch with sendInitialEvents, up to the bookmark that ends the initial objects", async () => {
    const { transport, port } = await recentServer();
    transport.streamHandler = async (req, onLine, options) => {
      expect(req.path).toBe("/api/v1/pods");
      expect(req.query).toMatchObject({
        watch: 1,
        sendInitialEvents: true,
        resourceVersionMatch: "NotOlderThan",
        allowWatchBookmarks: true,
        labelSelector: "app=web",
      });
      for (const pod of podItems(0, 3)) onLine(event("ADDED", pod));
      onLine(bookmark("40", false)); // a progress bookmark: not the end
      onLine(event("ADDED", podItems(3, 4)[0]));
      onLine(bookmark("42", true));
      expect(options.signal?.aborted).toBe(true); // the stream is closed at the end bookmark
      onLine(event("MODIFIED", podItems(0, 1)[0])); // after the end: not part of the list
      return { status: 200, text: "" };
    };
    const result = await port.list(pods, undefined, { labelSelector: "app=web" });
    expect(result.resourceVersion).toBe("42");
    expect(result.items.map((p) => p.metadata.name)).toEqual(["p0", "p1", "p2", "p3"]);
    expect(result.items[0]).toMatchObject({ apiVersion: "v1", kind: "Pod" });
    expect(transport.requests.map((r) => r.path)).toEqual(["/apis", "/api/v1/pods"]);
  });

  it("falls back to a paginated list when watch is refused, and does not ask again for that resource", async () => {
    const { transport, port } = await recentServer();
    let streams = 0;
    transport.streamHandler = async () => {
      streams++;
      return json(403, statusBody(403, "Forbidden", 'cannot watch resource "pods"'));
    };
    for (let i = 0; i < 2; i++) {
      const result = await port.list(pods);
      expect(result.items.map((p) => p.metadata.name)).toEqual(["p0"]);
      expect(result.resourceVersion).toBe("9");
    }
    expect(streams).toBe(1);
  });

  it("falls back to a paginated list when the stream ends before the initial objects do", async () => {
    const { transport, port } = await recentServer();
    transport.streamHandler = async (_req, onLine) => {
      onLine(event("ADDED", podItems(5, 6)[0]));
      return { status: 200, text: "" };
    };
    const result = await port.list(pods);
    expect(result.items.map((p) => p.metadata.name)).toEqual(["p0"]);
  });

  it("never streams before discovery showed a recent server, nor when a page size is asked", async () => {
    const transport = new ScriptedTransport(() => json(200, { metadata: {}, items: [] }));
    transport.streamHandler = async () => {
      throw new Error("no stream expected");
    };
    const port = new ApiClusterPort(transport);
    await port.list(pods);
    await port.list(pods, undefined, { limit: 10 });
    expect(transport.requests.map((r) => r.path)).toEqual(["/api/v1/pods", "/api/v1/pods"]);
  });
});

describe("portForwardGet", () => {
  const pod = { namespace: "istio-system", name: "ztunnel-abc" };

  it("reads an HTTP answer through port-forward", async () => {
    const transport = new ScriptedTransport(() => json(500, {}));
    transport.portForwardHandler = async (request) => {
      expect(request.toString()).toMatch(/^GET \/config_dump HTTP\/1.1\r\n/);
      return Buffer.from("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}");
    };
    const result = await new ApiClusterPort(transport).portForwardGet(pod, 15000, "/config_dump");
    expect(result).toEqual({ status: 200, body: "{}", via: "port-forward" });
  });

  it("falls back to the pod proxy subresource and says why", async () => {
    const notes: string[] = [];
    const transport = new ScriptedTransport((req) => {
      expect(req.path).toBe("/api/v1/namespaces/istio-system/pods/ztunnel-abc:15000/proxy/config_dump");
      return { status: 200, text: '{"workloads":[]}' };
    });
    transport.portForwardHandler = async () => {
      throw new Error("Unexpected server response: 400");
    };
    const result = await new ApiClusterPort(transport, (m) => notes.push(m)).portForwardGet(
      pod,
      15000,
      "/config_dump",
    );
    expect(result.via).toBe("proxy");
    expect(result.fallbackReason).toContain("400");
    expect(notes[0]).toContain("trying the pod proxy subresource");
  });

  it("a 403 the pod proxy relays (not the apiserver's Status) is an unreachable pod, not RBAC", async () => {
    const transport = new ScriptedTransport(() => ({
      status: 403,
      text: "resolve_deny: denied destination",
    }));
    transport.portForwardHandler = async () => {
      throw new Error("failed to dial 127.0.0.1:26000: connect: connection refused");
    };
    const error = await new ApiClusterPort(transport)
      .portForwardGet(pod, 15000, "/config_dump")
      .catch((e) => e);
    expect(error.exitCode).toBe(ExitCode.clusterUnreachable);
    expect(error.message).toContain("the pod proxy answered 403 (resolve_deny: denied destination)");
  });

  it("names pods/portforward when both ways are refused", async () => {
    const transport = new ScriptedTransport(() =>
      json(403, statusBody(403, "Forbidden", 'x is forbidden: User "u" cannot do resource "x"')),
    );
    transport.portForwardHandler = async () => {
      throw new Error("Unexpected server response: 403");
    };
    const error = await new ApiClusterPort(transport)
      .portForwardGet(pod, 15000, "/config_dump")
      .catch((e) => e);
    expect(error.exitCode).toBe(ExitCode.forbidden);
    expect(error.message).toBe("forbidden: cannot create pods/portforward in namespace istio-system");
  });
});
