// The transport against real TLS servers (a self-signed certificate made by openssl, trusted
// through the kubeconfig), one that speaks HTTP/2 as the apiserver does and one that speaks only
// HTTP/1.1: requests of one run share their connections instead of each opening and
// TLS-handshaking one of its own, as client-node would have them do.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { createSecureServer, type Http2ServerRequest, type ServerHttp2Session } from "node:http2";
import { createServer } from "node:https";
import {
  type AddressInfo,
  createServer as createNetServer,
  connect as netConnect,
  type Socket,
} from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server as TlsServer } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadKubeconfig } from "../../../src/cluster/kubeconfig.js";
import { KubeTransport, LineSplitter } from "../../../src/cluster/transport.js";

let dir: string;
let cert: Buffer;
let key: Buffer;

type Request = IncomingMessage | Http2ServerRequest;
/** What the handler uses of a response, the same in both protocols' APIs. */
interface Response {
  setHeader(name: string, value: string): unknown;
  write(chunk: Buffer | string): unknown;
  end(chunk: string): unknown;
  end(): unknown;
}

/** The same answers over either protocol. */
function handle(req: Request, res: Response): void {
  if (req.url?.startsWith("/watch")) {
    // A watch whose lines are cut anywhere, even inside a character of two bytes.
    const body = Buffer.from('{"n":1,"s":"é"}\n{"n":2}\n\n{"n":3,"s":"ü"}');
    res.setHeader("content-type", "application/json");
    for (let i = 0; i < body.length; i += 5) res.write(body.subarray(i, i + 5));
    res.end();
    return;
  }
  if (req.url?.startsWith("/endless")) {
    // A watch that never ends by itself: a line now, then nothing until the client goes away.
    res.setHeader("content-type", "application/json");
    res.write('{"type":"BOOKMARK"}\n');
    return;
  }
  if (req.method === "PATCH") {
    // Echoes what arrived: method, content type and length, and the body itself.
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          contentType: req.headers["content-type"],
          length: req.headers["content-length"],
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    return;
  }
  // Answers a little later, so that requests sent together are in flight together.
  setTimeout(() => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ path: req.url, auth: req.headers.authorization }));
  }, 20);
}

interface TestServer {
  server: TlsServer;
  connections: number;
  /** The HTTP/2 connections the server accepted (none over HTTP/1.1). */
  sessions: ServerHttp2Session[];
  kubeconfig(user?: Record<string, string>): string;
}

async function startServer(protocol: "h2" | "http/1.1"): Promise<TestServer> {
  const server: TlsServer =
    protocol === "h2"
      ? createSecureServer({ cert, key }, handle)
      : // Node's HTTPS server names no ALPN protocol: a client that asks for h2 is not given it.
        Object.assign(createServer({ cert, key }, handle), { keepAliveTimeout: 60_000 });
  const t: TestServer = {
    server,
    connections: 0,
    sessions: [],
    kubeconfig: (user = { token: "secret-token" }) => {
      const file = join(dir, `kubeconfig-${protocol.replace("/", "")}-${Object.keys(user).join("-")}`);
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [
            {
              name: "local",
              cluster: {
                server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
                "certificate-authority-data": cert.toString("base64"),
              },
            },
          ],
          users: [{ name: "me", user }],
          contexts: [{ name: "local", context: { cluster: "local", user: "me" } }],
          "current-context": "local",
        }),
      );
      return file;
    },
  };
  // TCP connections, each TLS-handshaken (counted when they open: the probe that asks for HTTP/2
  // over HTTP/1.1 closes before the server's side of the handshake may end).
  server.on("connection", () => t.connections++);
  server.on("session", (session: ServerHttp2Session) => t.sessions.push(session));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return t;
}

const servers: Record<string, TestServer> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "am-transport-"));
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
      .concat(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem")])
      .concat(["-out", join(dir, "cert.pem")]),
    { stdio: "ignore" },
  );
  cert = readFileSync(join(dir, "cert.pem"));
  key = readFileSync(join(dir, "key.pem"));
  servers.h2 = await startServer("h2");
  servers.h1 = await startServer("http/1.1");
});

afterAll(async () => {
  for (const t of Object.values(servers)) {
    for (const session of t.sessions) session.destroy();
    (t.server as { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise((resolve) => t.server.close(resolve));
  }
  rmSync(dir, { recursive: true, force: true });
});

/** 16 requests, 4 at once and then one by one; every answer checked. */
async function sixteenRequests(transport: KubeTransport): Promise<void> {
  const get = (i: number) => transport.request({ method: "GET", path: `/api/v1/thing-${i}` });
  const first = await Promise.all([0, 1, 2, 3].map(get));
  for (let i = 4; i < 16; i++) {
    const r = await get(i);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ path: `/api/v1/thing-${i}`, auth: "Bearer secret-token" });
  }
  expect(first.map((r) => JSON.parse(r.text).path)).toEqual([0, 1, 2, 3].map((i) => `/api/v1/thing-${i}`));
}

describe("KubeTransport over HTTP/2 (as the apiserver speaks it)", () => {
  it("sends the requests of a run on one connection: 16 requests, 4 at once, open 1 connection", async () => {
    const t = servers.h2 as TestServer;
    const before = t.connections;
    await sixteenRequests(new KubeTransport(loadKubeconfig({ kubeconfig: t.kubeconfig() })));
    expect(t.connections - before).toBe(1);
  });

  it("keeps the connection when a stream is cancelled (a watch-list ended at its bookmark)", async () => {
    const t = servers.h2 as TestServer;
    const transport = new KubeTransport(loadKubeconfig({ kubeconfig: t.kubeconfig() }));
    const before = t.connections;
    for (let i = 0; i < 3; i++) {
      const done = new AbortController();
      const lines: string[] = [];
      const end = await transport.stream(
        { method: "GET", path: "/endless" },
        (line) => {
          lines.push(line);
          done.abort();
        },
        { signal: done.signal, idleTimeoutMs: 10_000 },
      );
      expect(end.status).toBe(200);
      expect(lines).toEqual(['{"type":"BOOKMARK"}']);
    }
    expect((await transport.request({ method: "GET", path: "/api/v1/after" })).status).toBe(200);
    expect(t.connections - before).toBe(1);
  });

  it("opens a new connection when the server closed the last one (an apiserver restarting)", async () => {
    const t = servers.h2 as TestServer;
    const transport = new KubeTransport(loadKubeconfig({ kubeconfig: t.kubeconfig() }));
    const before = t.connections;
    expect((await transport.request({ method: "GET", path: "/api/v1/a" })).status).toBe(200);
    const session = t.sessions.at(-1) as ServerHttp2Session;
    await new Promise<void>((resolve) => session.close(resolve)); // GOAWAY, then the socket closes
    const again = await transport.request({ method: "GET", path: "/api/v1/b" });
    expect(JSON.parse(again.text).path).toBe("/api/v1/b");
    expect(t.connections - before).toBe(2);
  });

  it("closes a connection that stopped answering (no FIN, no RST) after an unanswered ping, and opens another", async () => {
    const t = servers.h2 as TestServer;
    // A TCP relay to the server that can go silent: bytes in either direction are then dropped.
    let silent = false;
    const sockets: Socket[] = [];
    const relay = createNetServer((client) => {
      const upstream = netConnect((t.server.address() as AddressInfo).port, "127.0.0.1");
      sockets.push(client, upstream);
      client.on("data", (b) => silent || upstream.write(b));
      upstream.on("data", (b) => silent || client.write(b));
      for (const s of [client, upstream]) s.on("error", () => {});
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    try {
      const relayed = join(dir, "kubeconfig-relayed");
      const direct = `127.0.0.1:${(t.server.address() as AddressInfo).port}`;
      const through = `127.0.0.1:${(relay.address() as AddressInfo).port}`;
      writeFileSync(relayed, readFileSync(t.kubeconfig(), "utf8").replace(direct, through));
      const transport = new KubeTransport(loadKubeconfig({ kubeconfig: relayed }), {
        readIdleMs: 300,
        pingTimeoutMs: 300,
      });
      expect((await transport.request({ method: "GET", path: "/api/v1/before" })).status).toBe(200);
      silent = true;
      const started = Date.now();
      const stuck = await transport.request({ method: "GET", path: "/api/v1/lost" }).then(
        () => "answered",
        (err: NodeJS.ErrnoException) => err.code,
      );
      expect(stuck).toBe("ETIMEDOUT");
      expect(Date.now() - started).toBeLessThan(5_000); // not the request's own 60 s
      silent = false;
      const after = await transport.request({ method: "GET", path: "/api/v1/after" });
      expect(JSON.parse(after.text).path).toBe("/api/v1/after");
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  it("sends a kubeconfig's basic auth as an Authorization header (HTTP/2 has no auth option)", async () => {
    const t = servers.h2 as TestServer;
    const kubeconfig = t.kubeconfig({ username: "admin", password: "pässword" });
    const r = await new KubeTransport(loadKubeconfig({ kubeconfig })).request({ method: "GET", path: "/x" });
    expect(JSON.parse(r.text).auth).toBe(`Basic ${Buffer.from("admin:pässword").toString("base64")}`);
  });
});

describe("KubeTransport over HTTP/1.1 (a server without HTTP/2)", () => {
  it("reuses its connections: 4 at once, then 12 more, open 4 connections, and the one that asked for HTTP/2", async () => {
    const t = servers.h1 as TestServer;
    const before = t.connections;
    await sixteenRequests(new KubeTransport(loadKubeconfig({ kubeconfig: t.kubeconfig() })));
    expect(t.connections - before).toBe(5);
  });
});

describe.each(["h2", "h1"])("KubeTransport.stream (%s)", (protocol) => {
  it("gives each line once, whole, however the bytes were cut, the last one without its newline too", async () => {
    const transport = new KubeTransport(loadKubeconfig({ kubeconfig: servers[protocol]?.kubeconfig() }));
    const lines: string[] = [];
    const end = await transport.stream({ method: "GET", path: "/watch" }, (l) => lines.push(l), {
      idleTimeoutMs: 10_000,
    });
    expect(end.status).toBe(200);
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ n: 1, s: "é" }, { n: 2 }, { n: 3, s: "ü" }]);
  });
});

describe("LineSplitter", () => {
  it("joins a line cut over many chunks and decodes it once", () => {
    const lines: string[] = [];
    const split = new LineSplitter((l) => lines.push(l));
    const bytes = Buffer.from("ab€c\nd\n  \nefg");
    for (const b of bytes) split.push(Buffer.from([b]));
    split.end();
    expect(lines).toEqual(["ab€c", "d", "efg"]);
  });
});

describe.each(["h2", "h1"])("KubeTransport.request with a body (%s)", (protocol) => {
  it("sends it whole, with its content type and its length in bytes (not characters)", async () => {
    const transport = new KubeTransport(loadKubeconfig({ kubeconfig: servers[protocol]?.kubeconfig() }));
    const patch = { metadata: { labels: { note: "café" } } };
    const r = await transport.request({
      method: "PATCH",
      path: "/api/v1/namespaces/a",
      body: patch,
      contentType: "application/merge-patch+json",
    });
    expect(r.status).toBe(200);
    const echoed = JSON.parse(r.text);
    expect(echoed.contentType).toBe("application/merge-patch+json");
    expect(Number(echoed.length)).toBe(Buffer.byteLength(JSON.stringify(patch)));
    expect(JSON.parse(echoed.body)).toEqual(patch);
  });
});
