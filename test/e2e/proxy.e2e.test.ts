// A kubeconfig whose cluster has a proxy-url: the built CLI reaches the apiserver through that
// HTTP proxy (CONNECT), with client-node's proxy agent. The build keeps that agent's library
// (hpagent), like undici, socks and the OIDC libraries, in a file of its own that is loaded
// only when a kubeconfig needs it (scripts/build.mjs): this runs that path as a user would.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { cli, createNamespace, deleteNamespaces, kubeconfigPath } from "./harness.js";

const work = mkdtempSync(join(tmpdir(), "am-e2e-proxy-"));
let proxy: Server;
const tunnels: string[] = [];

beforeAll(async () => {
  proxy = createServer((_req, res) => res.writeHead(405).end());
  proxy.on("connect", (req, client, head) => {
    tunnels.push(req.url ?? "");
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  proxy.closeAllConnections();
  proxy.close();
  await deleteNamespaces();
});

describe("a kubeconfig with a proxy-url", () => {
  it("reaches the apiserver through the proxy", async () => {
    const namespace = await createNamespace("am-proxy", { "istio-injection": "enabled" });
    const config = parse(readFileSync(kubeconfigPath(), "utf8"));
    const { port } = proxy.address() as AddressInfo;
    for (const entry of config.clusters) entry.cluster["proxy-url"] = `http://127.0.0.1:${port}`;
    const proxied = join(work, "kubeconfig");
    writeFileSync(proxied, stringify(config));
    const server = new URL(config.clusters[0].cluster.server);

    const r = await cli(["status", "-n", namespace, "-o", "json", "--kubeconfig", proxied]);
    expect(r.stderr).not.toMatch(/Error:|at .*\.js:\d+/);
    expect(r.code).toBe(0);
    const status = JSON.parse(r.stdout) as { namespaces: { namespace: string; state: string }[] };
    expect(status.namespaces.map((n) => n.namespace)).toEqual([namespace]);
    expect(status.namespaces[0]?.state).toMatch(/^sidecar/);
    // Every connection went through the proxy, to the apiserver.
    expect(tunnels.length).toBeGreaterThan(0);
    expect(new Set(tunnels)).toEqual(new Set([`${server.hostname}:${server.port}`]));
  });
});
