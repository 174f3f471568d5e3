// The transport against a real HTTPS server (a self-signed certificate made by openssl, trusted
// through the kubeconfig): requests of one run share their connections instead of each opening
// and TLS-handshaking one of its own, as client-node would have them do.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadKubeconfig } from "../../../src/cluster/kubeconfig.js";
import { KubeTransport, LineSplitter } from "../../../src/cluster/transport.js";

let dir: string;
let server: Server;
let handshakes = 0;
let kubeconfig: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "am-transport-"));
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
      .concat(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem")])
      .concat(["-out", join(dir, "cert.pem")]),
    { stdio: "ignore" },
  );
  const cert = readFileSync(join(dir, "cert.pem"));
  server = createServer({ cert, key: readFileSync(join(dir, "key.pem")) }, (req, res) => {
    if (req.url?.startsWith("/watch")) {
      // A watch whose lines are cut anywhere, even inside a character of two bytes.
      const body = Buffer.from('{"n":1,"s":"é"}\n{"n":2}\n\n{"n":3,"s":"ü"}');
      res.setHeader("content-type", "application/json");
      for (let i = 0; i < body.length; i += 5) res.write(body.subarray(i, i + 5));
      res.end();
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
  });
  // Idle connections stay open for the test's length, even on a slow machine.
  server.keepAliveTimeout = 60_000;
  server.on("secureConnection", () => handshakes++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "local",
          cluster: {
            server: `https://127.0.0.1:${port}`,
            "certificate-authority-data": cert.toString("base64"),
          },
        },
      ],
      users: [{ name: "me", user: { token: "secret-token" } }],
      contexts: [{ name: "local", context: { cluster: "local", user: "me" } }],
      "current-context": "local",
    }),
  );
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("KubeTransport", () => {
  it("reuses its connections: 4 at once, then 12 more, cost 4 TLS handshakes, not 16", async () => {
    const transport = new KubeTransport(loadKubeconfig({ kubeconfig }));
    const get = (i: number) => transport.request({ method: "GET", path: `/api/v1/thing-${i}` });
    const first = await Promise.all([0, 1, 2, 3].map(get));
    for (let i = 4; i < 16; i++) {
      const r = await get(i);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.text)).toEqual({ path: `/api/v1/thing-${i}`, auth: "Bearer secret-token" });
    }
    expect(first.map((r) => JSON.parse(r.text).path)).toEqual([0, 1, 2, 3].map((i) => `/api/v1/thing-${i}`));
    expect(handshakes).toBe(4);
  });
});

describe("KubeTransport.stream", () => {
  it("gives each line once, whole, however the bytes were cut, the last one without its newline too", async () => {
    const transport = new KubeTransport(loadKubeconfig({ kubeconfig }));
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

describe("KubeTransport.request with a body", () => {
  it("sends it whole, with its content type and its length in bytes (not characters)", async () => {
    const transport = new KubeTransport(loadKubeconfig({ kubeconfig }));
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
