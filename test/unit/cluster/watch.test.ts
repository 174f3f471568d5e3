import { describe, expect, it } from "vitest";
import { ApiClusterPort } from "../../../src/cluster/client.js";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import type { WatchEvent } from "../../../src/cluster/port.js";
import {
  type RawWatchEvent,
  runWatch,
  type StreamEnd,
  type WatchSource,
} from "../../../src/cluster/watch.js";
import { ExitCode } from "../../../src/errors.js";
import { K, kindInfo } from "../../../src/inventory/kinds.js";
import type { KubeObject } from "../../../src/inventory/model.js";
import { json, ScriptedTransport, statusBody } from "./fake-transport.js";

const pod = (name: string, rv: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "shop", resourceVersion: rv },
});

type Script = (rv: string, emit: (e: RawWatchEvent) => void) => Promise<StreamEnd> | StreamEnd;

function source(streams: Script[], lists: { items: KubeObject[]; resourceVersion: string }[]) {
  const streamedFrom: string[] = [];
  let listed = 0;
  const src: WatchSource = {
    list: async () => {
      const next = lists[listed++];
      if (!next) throw new Error("unexpected list");
      return next;
    },
    stream: async (rv, emit) => {
      streamedFrom.push(rv);
      const script = streams.shift();
      if (!script) throw Object.assign(new Error("no more streams"), { code: "ECONNRESET" });
      return script(rv, emit);
    },
    fail: (end) => Object.assign(new Error(`status ${end.status}`), { status: end.status }),
  };
  return { src, streamedFrom, listed: () => listed };
}

describe("runWatch", () => {
  it("resumes from the last resourceVersion (bookmarks included) when the server closes the stream", async () => {
    const stop = new AbortController();
    const events: WatchEvent[] = [];
    const { src, streamedFrom } = source(
      [
        (_rv, emit) => {
          emit({ type: "ADDED", object: pod("a", "11") });
          emit({ type: "BOOKMARK", object: { metadata: { resourceVersion: "15" } } });
          return { status: 200, text: "" };
        },
        (_rv, emit) => {
          emit({ type: "MODIFIED", object: pod("a", "16") });
          stop.abort();
          return { status: 200, text: "" };
        },
      ],
      [],
    );
    await runWatch(src, (e) => events.push(e), { resourceVersion: "10", signal: stop.signal });
    expect(streamedFrom).toEqual(["10", "15"]);
    expect(events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED"]);
  });

  it("relists on 410 Gone (as an ERROR event or as a status) and reports RELISTED", async () => {
    const stop = new AbortController();
    const events: WatchEvent[] = [];
    const { src, streamedFrom, listed } = source(
      [
        (_rv, emit) => {
          emit({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } });
          return { status: 200, text: "" };
        },
        () => ({ status: 410, text: "" }),
        () => {
          stop.abort();
          return { status: 200, text: "" };
        },
      ],
      [
        { items: [pod("a", "20")], resourceVersion: "20" },
        { items: [pod("a", "20"), pod("b", "30")], resourceVersion: "30" },
      ],
    );
    await runWatch(src, (e) => events.push(e), { resourceVersion: "1", signal: stop.signal });
    expect(listed()).toBe(2);
    expect(streamedFrom).toEqual(["1", "20", "30"]);
    expect(events.map((e) => e.type)).toEqual(["RELISTED", "RELISTED"]);
  });

  it("backs off and retries on connection failures, then gives up after repeated failures", async () => {
    const retries: string[] = [];
    const { src } = source([], []);
    const error = await runWatch(src, () => {}, {
      resourceVersion: "1",
      initialBackoffMs: 1,
      maxBackoffMs: 2,
      maxFailures: 4,
      onRetry: (reason) => retries.push(reason),
    }).catch((e) => e);
    expect(error.message).toBe("no more streams");
    expect(retries).toHaveLength(3);
  });

  it("stops at once on a refusal (403) instead of retrying", async () => {
    const { src } = source([() => ({ status: 403, text: "" })], []);
    const error = await runWatch(src, () => {}, { resourceVersion: "1", initialBackoffMs: 1 }).catch(
      (e) => e,
    );
    expect(error.status).toBe(403);
  });
});

describe("ApiClusterPort.watch", () => {
  it("streams JSON lines with bookmarks and a server timeout, and maps a refusal to exit 7", async () => {
    const transport = new ScriptedTransport(() => json(200, {}));
    transport.streamHandler = async (req, onLine) => {
      expect(req.query).toMatchObject({ watch: 1, resourceVersion: "5", allowWatchBookmarks: true });
      expect(Number(req.query?.timeoutSeconds)).toBeGreaterThanOrEqual(300);
      onLine(JSON.stringify({ type: "ADDED", object: pod("a", "6") }));
      onLine('{"type":"MODI'); // a torn line from a dropped connection is ignored
      return json(
        403,
        statusBody(403, "Forbidden", 'pods is forbidden: User "u" cannot watch resource "pods"'),
      );
    };
    const events: WatchEvent[] = [];
    const error = await new ApiClusterPort(transport)
      .watch(kindInfo(K.Pod), "shop", (e) => events.push(e), { resourceVersion: "5" })
      .catch((e) => e);
    expect(events).toHaveLength(1);
    expect(error.exitCode).toBe(ExitCode.forbidden);
    expect(error.message).toBe("forbidden: cannot watch pods in namespace shop");
  });
});

describe("waitFor", () => {
  const deployments = kindInfo(K.Deployment);
  const deployment = (name: string, ready: number) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "shop" },
    spec: { replicas: 2 },
    status: { readyReplicas: ready },
  });
  const allReady = (objects: KubeObject[]) =>
    objects.every((d) => d.status?.readyReplicas === d.spec?.replicas);

  it("returns at once when the predicate already holds", async () => {
    const fake = new FakeClusterPort([deployment("a", 2)]);
    const result = await fake.waitFor(deployments, "shop", allReady, { timeoutMs: 1000 });
    expect(result.satisfied).toBe(true);
    expect(fake.calls.map((c) => c.verb)).toEqual(["list"]);
  });

  it("follows the watch until the predicate holds, reporting progress", async () => {
    const fake = new FakeClusterPort([deployment("a", 0), deployment("b", 2)]);
    const progress: number[] = [];
    const waiting = fake.waitFor(deployments, "shop", allReady, {
      timeoutMs: 5000,
      onProgress: (objects) => progress.push(objects.filter((d) => d.status?.readyReplicas === 2).length),
    });
    await new Promise((r) => setImmediate(r));
    fake.put(deployment("a", 1));
    fake.put(deployment("a", 2));
    const result = await waiting;
    expect(result.satisfied).toBe(true);
    expect(progress).toEqual([1, 1]);
    expect(fake.calls.map((c) => c.verb)).toEqual(["list", "watch"]);
  });

  it("reports not satisfied when the timeout passes", async () => {
    const fake = new FakeClusterPort([deployment("a", 0)]);
    const result = await fake.waitFor(deployments, "shop", allReady, { timeoutMs: 30 });
    expect(result.satisfied).toBe(false);
    expect(result.objects).toHaveLength(1);
  });
});
