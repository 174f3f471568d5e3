// The apiserver failing for a moment: requests retried with backoff within a budget, never
// for a cluster that never answered, never for a failing webhook; a conditional patch whose
// answer was lost is not made twice, and one that races another writer stops (exit 10).
import { describe, expect, it } from "vitest";
import { ApiClusterPort } from "../../../src/cluster/client.js";
import { retryDelay } from "../../../src/cluster/retry.js";
import { ExitCode } from "../../../src/errors.js";
import { K, kindInfo } from "../../../src/inventory/kinds.js";
import { type Handler, json, ScriptedTransport, statusBody } from "./fake-transport.js";

const fast = { initialMs: 1, maxMs: 2, budgetMs: 2_000 };
const refused = () =>
  Object.assign(new TypeError("fetch failed"), {
    cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), { code: "ECONNREFUSED" }),
  });
const version = json(200, { major: "1", minor: "36", gitVersion: "v1.36.3" });

function port(handler: Handler, notes: string[] = [], retry = fast) {
  const transport = new ScriptedTransport(handler);
  return { transport, port: new ApiClusterPort(transport, (n) => notes.push(n), retry) };
}

describe("request retries", () => {
  it("retries 503 and 429 answers until the apiserver answers, and says so", async () => {
    const answers = [
      json(503, statusBody(503, "ServiceUnavailable", "etcd is restarting")),
      json(429, statusBody(429, "TooManyRequests", "slow down")),
      version,
    ];
    const notes: string[] = [];
    const { transport, port: p } = port(() => answers.shift() ?? version, notes);
    expect((await p.serverVersion()).minor).toBe("36");
    expect(transport.requests).toHaveLength(3);
    expect(notes[0]).toMatch(/the apiserver answered 503 \(get version\): retrying in \d/);
    expect(notes[1]).toContain("answered 429");
  });

  it("retries a refused connection once the cluster has answered (an apiserver restart)", async () => {
    let calls = 0;
    const { port: p } = port(() => {
      calls++;
      if (calls === 2 || calls === 3) throw refused();
      return version;
    });
    await p.serverVersion();
    await p.serverVersion();
    expect(calls).toBe(4);
  });

  it("does not retry a cluster that never answered: exit 6 at once", async () => {
    const { transport, port: p } = port(() => {
      throw refused();
    });
    const error = await p.serverVersion().catch((e) => e);
    expect(error.exitCode).toBe(ExitCode.clusterUnreachable);
    expect(transport.requests).toHaveLength(1);
  });

  it("gives up when the budget is spent, with the last failure", async () => {
    const { transport, port: p } = port(
      () => json(500, statusBody(500, "InternalError", "etcdserver: request timed out")),
      [],
      { initialMs: 5, maxMs: 5, budgetMs: 1_500 },
    );
    const error = await p.list(kindInfo(K.Pod), "shop").catch((e) => e);
    expect(error.exitCode).toBe(ExitCode.clusterUnreachable);
    expect(error.message).toContain("etcdserver: request timed out");
    expect(transport.requests.length).toBeGreaterThan(2);
  });

  it("does not retry a failing admission webhook: its message comes back at once", async () => {
    const message =
      'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": connect: connection refused';
    const { transport, port: p } = port(() => json(500, statusBody(500, "InternalError", message)));
    const error = await p
      .apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "n" } })
      .catch((e) => e);
    expect(error.message).toContain(message);
    expect(transport.requests).toHaveLength(1);
  });

  it("backs off exponentially up to the cap, within the budget", () => {
    const policy = { initialMs: 100, maxMs: 1_000, budgetMs: 10_000 };
    const delays = [1, 2, 3, 4, 5, 6].map((a) => retryDelay(policy, a, 0, 0) ?? -1);
    expect(delays[0]).toBeGreaterThanOrEqual(80);
    expect(delays[0]).toBeLessThanOrEqual(120);
    expect(delays[3]).toBeGreaterThanOrEqual(640);
    expect(delays[5]).toBeLessThanOrEqual(1_200);
    expect(retryDelay(policy, 1, 0, 9_990)).toBeUndefined();
  });
});

describe("conditional patches under faults", () => {
  const ns = (labels: Record<string, string>, rv: string, managedFields: unknown[] = []) =>
    json(200, {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "shop", resourceVersion: rv, labels, managedFields },
    });

  it("a patch whose answer was lost is not made again, and the value before is the first one read", async () => {
    const reads = [
      ns({ "istio.io/rev": "1-27" }, "5"),
      ns({ "istio.io/rev": "1-27", "istio.io/dataplane-mode": "ambient" }, "6"),
    ];
    let patches = 0;
    const { port: p } = port((req) => {
      if (req.path === "/version") return version;
      if (req.method === "GET") return reads.shift() ?? ns({}, "7");
      patches++;
      // The first patch landed, but its answer was lost; the repeat's precondition fails.
      if (patches === 1)
        throw Object.assign(new TypeError("fetch failed"), {
          cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
        });
      return json(409, statusBody(409, "Conflict", "the object has been modified"));
    });
    await p.serverVersion().catch(() => undefined); // the cluster has answered before
    const result = await p.patchLabels(
      { apiVersion: "v1", kind: "Namespace", name: "shop" },
      { "istio.io/dataplane-mode": "ambient" },
    );
    expect(result.previous).toEqual({ "istio.io/dataplane-mode": null });
    expect(patches).toBe(2);
  });

  it("a key changed by someone else between read and patch stops with exit 10 naming the manager", async () => {
    const reads = [
      ns({ "istio-injection": "enabled" }, "5"),
      ns({ "istio-injection": "disabled" }, "6", [
        {
          manager: "kubectl-label",
          operation: "Update",
          time: "2026-12-01T08:00:00Z",
          fieldsV1: { "f:metadata": { "f:labels": { "f:istio-injection": {} } } },
        },
      ]),
    ];
    const { port: p } = port((req) =>
      req.method === "GET"
        ? (reads.shift() ?? ns({}, "7"))
        : json(409, statusBody(409, "Conflict", "the object has been modified")),
    );
    const error = await p
      .patchLabels({ apiVersion: "v1", kind: "Namespace", name: "shop" }, { "istio-injection": null })
      .catch((e) => e);
    expect(error.exitCode).toBe(ExitCode.conflict);
    expect(error.message).toContain("istio-injection enabled -> disabled");
    expect(error.message).toContain('"kubectl-label" (Update at 2026-12-01T08:00:00Z)');
    expect(error.message).toContain("stopped rather than overwrite");
  });
});
