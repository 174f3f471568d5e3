import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { getRequest, parseResponse, responseComplete } from "../../../src/cluster/http1.js";
import { loadKubeconfig, resolveSource } from "../../../src/cluster/kubeconfig.js";
import { ExitCode } from "../../../src/errors.js";

const files =
  (...present: string[]) =>
  (path: string) =>
    present.includes(path);

describe("resolveSource", () => {
  it("prefers --kubeconfig, then $KUBECONFIG, then ~/.kube/config, then in-cluster", () => {
    const all = files("/flag", "/env1", "/home/u/.kube/config");
    const base = { home: "/home/u", inCluster: true };
    expect(resolveSource({ ...base, exists: all, flag: "/flag", env: "/env1" })).toEqual({
      type: "flag",
      files: ["/flag"],
    });
    expect(resolveSource({ ...base, exists: all, env: `/missing${delimiter}/env1` })).toEqual({
      type: "env",
      files: ["/env1"],
    });
    expect(resolveSource({ ...base, exists: all })).toEqual({
      type: "home",
      files: ["/home/u/.kube/config"],
    });
    expect(resolveSource({ ...base, exists: files() })).toEqual({ type: "in-cluster" });
  });

  it("fails (exit 6) instead of falling back to localhost:8080, naming every place looked at", () => {
    let error: unknown;
    try {
      resolveSource({ home: "/home/u", inCluster: false, exists: files(), env: "/nope" });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ exitCode: ExitCode.clusterUnreachable });
    expect((error as Error).message).toContain("/nope");
    expect((error as Error).message).toContain("/home/u/.kube/config");
    expect((error as { hint: string }).hint).toContain("localhost:8080");
  });

  it("fails when --kubeconfig names a missing file", () => {
    expect(() => resolveSource({ home: "/h", inCluster: false, exists: files(), flag: "/x" })).toThrow(
      /\/x \(from --kubeconfig\) does not exist/,
    );
  });
});

describe("loadKubeconfig", () => {
  const saved = process.env.KUBECONFIG;
  afterEach(() => {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  });

  const kubeconfig = (currentContext: string) => {
    const dir = mkdtempSync(join(tmpdir(), "am-kc-"));
    const file = join(dir, "config");
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}
users:
- name: admin
  user: {token: abc}
contexts:
- name: dev
  context: {cluster: test, user: admin}
- name: prod
  context: {cluster: test, user: admin}
current-context: "${currentContext}"
`,
    );
    return file;
  };

  it("uses the file and context given, and says so", () => {
    const file = kubeconfig("dev");
    const loaded = loadKubeconfig({ kubeconfig: file, context: "prod" });
    expect(loaded.context).toBe("prod");
    expect(loaded.server).toBe("https://127.0.0.1:6443");
    expect(loaded.description).toBe(
      `using kubeconfig ${file} (--kubeconfig), context "prod" (https://127.0.0.1:6443)`,
    );
  });

  it("names the file and the contexts it has when --context is unknown", () => {
    const file = kubeconfig("dev");
    expect(() => loadKubeconfig({ kubeconfig: file, context: "staging" })).toThrow(
      expect.objectContaining({
        exitCode: ExitCode.clusterUnreachable,
        message: `context "staging" is not in kubeconfig ${file} (--kubeconfig)`,
        hint: "contexts there: dev, prod",
      }),
    );
  });

  it("refuses a kubeconfig without a current context", () => {
    process.env.KUBECONFIG = kubeconfig("");
    expect(() => loadKubeconfig({})).toThrow(/has no current context/);
  });
});

describe("http1", () => {
  it("knows when a Content-Length response is complete", () => {
    const head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
    expect(parseResponse(Buffer.from(`${head}ab`))?.complete).toBe(false);
    expect(parseResponse(Buffer.from(`${head}abcde`))).toMatchObject({ status: 200, complete: true });
  });

  it("decodes a chunked response", () => {
    const partial = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n3\r\n:1}\r\n';
    expect(parseResponse(Buffer.from(partial))?.complete).toBe(false);
    const whole = parseResponse(Buffer.from(`${partial}0\r\n\r\n`));
    expect(whole?.complete).toBe(true);
    expect(whole?.body.toString()).toBe('{"a":1}');
  });

  it("tells a complete response from every prefix of it, chunked (a body holding 0\\r\\n\\r\\n too) or not", () => {
    const chunked = Buffer.from(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nd\r\n{"a":"0\r\n\r\n"}\r\n3\r\n:1}\r\n0\r\n\r\n',
    );
    const sized = Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde");
    for (const whole of [chunked, sized]) {
      for (let n = 0; n < whole.length; n++) expect(responseComplete(whole.subarray(0, n))).toBe(false);
      expect(responseComplete(whole)).toBe(true);
    }
  });

  it("writes a GET that closes the connection", () => {
    expect(getRequest("/config_dump").toString()).toContain("Connection: close\r\n\r\n");
  });
});
