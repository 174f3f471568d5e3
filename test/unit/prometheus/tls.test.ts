// TLS and authentication towards a real Prometheus (Debian's, with --web.config.file): a
// throwaway CA and certificates made by openssl for each run, one Prometheus serving https with
// basic auth, one requiring a client certificate. The right CA passes, none or another fails
// naming the fix, insecureSkipVerify passes, serverName is checked, wrong or missing
// credentials fail naming them; the same through the analysis file and the command line.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prometheusQuery } from "../../../src/analysis/gate.js";
import { analysisFrom } from "../../../src/analysis/load.js";
import { run as runCli } from "../../../src/cli/main.js";
import { ExitCode } from "../../../src/errors.js";
import { PrometheusClient, type PrometheusConnection } from "../../../src/prometheus/client.js";
import { freePort, type RunningPrometheus, startPrometheus, toOpenMetrics } from "../../prometheus/server.js";

const USER = "tester";
const PASSWORD = "s3cret-test-password";
// bcrypt (cost 4) of PASSWORD, as basic_auth_users wants it; made with golang.org/x/crypto/bcrypt.
const HASH = "$2a$04$k1TVyBueMSn/ZmuInCa8wu3Of2OFfeJcq86ZUqX23F4uOEATEKWdG";
const BASIC = { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}` };

const dir = mkdtempSync(join(tmpdir(), "am-prom-tls-"));
const file = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });

/** A CA, and certificates it signs for the server (prometheus.test, 127.0.0.1) and a client. */
function makePki(): void {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  for (const ca of ["ca", "other-ca"])
    openssl(
      "req",
      "-x509",
      ...ec,
      "-keyout",
      `${ca}.key`,
      "-out",
      `${ca}.crt`,
      "-subj",
      `/CN=${ca}`,
      "-days",
      "2",
    );
  const sign = (name: string, ext: string) => {
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
    writeFileSync(file(`${name}.ext`), ext);
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    );
  };
  sign("server", "subjectAltName=DNS:prometheus.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  sign("client", "extendedKeyUsage=clientAuth\n");
  writeFileSync(file("password"), `${PASSWORD}\n`);
  writeFileSync(file("token"), "not-a-prometheus-credential\n");
}

const now = Math.floor(Date.now() / 1000);
const recorded = toOpenMetrics(
  [{ name: "queue_depth", type: "gauge" }],
  [{ metric: "queue_depth", labels: { app: "web" }, value: 7, time: now - 600 }],
);
const at = new Date((now - 600) * 1000);

let basicTls: RunningPrometheus;
let mtls: RunningPrometheus;
beforeAll(async () => {
  makePki();
  const tls = `tls_server_config:\n  cert_file: ${file("server.crt")}\n  key_file: ${file("server.key")}\n`;
  // allSettled: a server that started is stopped even when the other did not start.
  const started = await Promise.allSettled([
    startPrometheus(recorded, {
      scheme: "https",
      config: `${tls}basic_auth_users:\n  ${USER}: ${HASH}\n`,
      ready: { headers: BASIC },
    }),
    startPrometheus(recorded, {
      scheme: "https",
      config: `${tls}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${file("ca.crt")}\n`,
      ready: {
        clientCert: {
          cert: readFileSync(file("client.crt"), "utf8"),
          key: readFileSync(file("client.key"), "utf8"),
        },
      },
    }),
  ]);
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
    throw failed.reason;
  }
  [basicTls, mtls] = started.map((s) => (s as PromiseFulfilledResult<RunningPrometheus>).value) as [
    RunningPrometheus,
    RunningPrometheus,
  ];
}, 60_000);
afterAll(async () => {
  await Promise.all([basicTls?.stop(), mtls?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const withAuth = (over: Partial<PrometheusConnection> = {}): PrometheusConnection => ({
  address: basicTls.url,
  basicAuth: { username: USER, passwordFile: file("password") },
  tls: { caFile: file("ca.crt") },
  ...over,
});
const ask = (c: PrometheusConnection) => PrometheusClient.connect(c).query("queue_depth", at);
const failure = (c: PrometheusConnection) =>
  ask(c).then(
    () => undefined,
    (e) => e,
  );

describe("TLS towards Prometheus", () => {
  it("the CA that signed Prometheus's certificate: the query runs", async () => {
    expect((await ask(withAuth()))[0]?.value).toBe(7);
  });

  it("no CA, or another one: refused, naming the fix", async () => {
    for (const tls of [{}, { caFile: file("other-ca.crt") }]) {
      const err = await failure(withAuth({ tls }));
      expect(err.exitCode).toBe(ExitCode.prometheusUnavailable);
      expect(err.message).toMatch(/presented a certificate that is not trusted \(\w+/);
      expect(err.hint).toContain("--prometheus-ca-file");
      expect(err.hint).toContain("prometheus.tls.caFile");
    }
  });

  it("insecureSkipVerify: the query runs without a CA", async () => {
    expect((await ask(withAuth({ tls: { insecureSkipVerify: true } })))[0]?.value).toBe(7);
  });

  it("serverName: the name the certificate must hold", async () => {
    const ok = withAuth({ tls: { caFile: file("ca.crt"), serverName: "prometheus.test" } });
    expect((await ask(ok))[0]?.value).toBe(7);
    const err = await failure(withAuth({ tls: { caFile: file("ca.crt"), serverName: "other.test" } }));
    expect(err.message).toMatch(/presented a certificate for another name \(ERR_TLS_CERT_ALTNAME_INVALID/);
    expect(err.hint).toContain("--prometheus-server-name");
  });

  it("http:// to an https Prometheus, and TLS settings on an http address: said plainly", async () => {
    const err = await failure({ address: basicTls.url.replace("https:", "http:") });
    expect(err.message).toMatch(/serves https/);
    expect(err.hint).toContain(basicTls.url);
    expect(() => new PrometheusClient("http://127.0.0.1:9090", { tls: { caFile: "x" } })).toThrow(
      /TLS settings for Prometheus at http:\/\/127\.0\.0\.1:9090, which is http/,
    );
    expect(() => new PrometheusClient("https://p:9090", { tls: { certFile: file("client.crt") } })).toThrow(
      /needs both certFile and keyFile/,
    );
    expect(() => new PrometheusClient("https://p:9090", { tls: { caFile: file("missing.crt") } })).toThrow(
      /cannot read the Prometheus CA file/,
    );
  });

  it("a Prometheus that requires a client certificate: with one the query runs; without, the error names it", async () => {
    const tls = { caFile: file("ca.crt"), certFile: file("client.crt"), keyFile: file("client.key") };
    expect((await ask({ address: mtls.url, tls }))[0]?.value).toBe(7);
    const err = await failure({ address: mtls.url, tls: { caFile: file("ca.crt") } });
    expect(err.exitCode).toBe(ExitCode.prometheusUnavailable);
    expect(err.message).toMatch(/wants a client certificate/);
    expect(err.hint).toContain("--prometheus-cert-file");
  });
});

describe("credentials towards Prometheus", () => {
  it("none, a wrong password, a bearer token it does not take: HTTP 401, naming what to give", async () => {
    const none = await failure(withAuth({ basicAuth: undefined }));
    expect(none.exitCode).toBe(ExitCode.prometheusUnavailable);
    expect(none.message).toMatch(/refused the request: HTTP 401 .*\(no credentials were given\)/);
    expect(none.hint).toMatch(/bearerTokenFile.*--prometheus-token-file/);
    const wrong = await failure(withAuth({ basicAuth: { username: USER, password: "wrong" } }));
    expect(wrong.message).toMatch(/HTTP 401 .*\(the credentials given were not accepted\)/);
    const token = await failure(withAuth({ basicAuth: undefined, bearerTokenFile: file("token") }));
    expect(token.message).toMatch(/HTTP 401 .*\(the credentials given were not accepted\)/);
  });

  it("user and password in the URL: basic auth, and the URL in messages carries no password", async () => {
    const address = basicTls.url.replace("https://", `https://${USER}:${PASSWORD}@`);
    const client = new PrometheusClient(address, { tls: { caFile: file("ca.crt") } });
    expect(client.url).toBe(basicTls.url);
    expect((await client.query("queue_depth", at))[0]?.value).toBe(7);
  });

  it("a bearer token file is read at every query (a rotated token is used), and sent as Bearer", async () => {
    // Prometheus's web config has no bearer tokens (a proxy in front of it checks them): this
    // server only records the header, then answers as Prometheus does.
    const seen: (string | undefined)[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      seen.push(req.headers.authorization);
      res.setHeader("content-type", "application/json");
      res.end('{"status":"success","data":{"resultType":"vector","result":[]}}');
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    try {
      const tokenFile = file("rotating-token");
      writeFileSync(tokenFile, "first\n");
      const client = PrometheusClient.connect({
        address: `http://127.0.0.1:${port}`,
        bearerTokenFile: tokenFile,
      });
      await client.query("up");
      writeFileSync(tokenFile, "second\n");
      await client.query("up");
      await PrometheusClient.connect({ address: `http://127.0.0.1:${port}`, bearerToken: "inline" }).query(
        "up",
      );
      expect(seen).toEqual(["Bearer first", "Bearer second", "Bearer inline"]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe("the analysis file and the command line", () => {
  it("an analysis file's prometheus block with tls and basicAuth reaches the https Prometheus", async () => {
    const analysis = analysisFrom(
      {
        apiVersion: "ambient-migrate.io/v1alpha1",
        kind: "Analysis",
        prometheus: {
          address: basicTls.url,
          basicAuth: { username: USER, passwordFile: file("password") },
          tls: { caFile: file("ca.crt"), serverName: "prometheus.test" },
        },
        metrics: [{ name: "depth", query: "queue_depth", successCondition: "result > 0" }],
      },
      "analysis.yaml",
    );
    const answer = await prometheusQuery(analysis)(`queue_depth @ ${at.getTime() / 1000}`);
    expect(answer[0]?.value).toBe(7);
  });

  it("the schema: certFile needs keyFile, one bearer setting, basicAuth needs a username", () => {
    const doc = (prometheus: Record<string, unknown>) => ({
      apiVersion: "ambient-migrate.io/v1alpha1",
      kind: "Analysis",
      prometheus: { address: "https://p:9090", ...prometheus },
      defaultSlo: {},
    });
    expect(() => analysisFrom(doc({ tls: { certFile: "c" } }), "f")).toThrow(/not a valid analysis/);
    expect(() => analysisFrom(doc({ bearerToken: "a", bearerTokenFile: "b" }), "f")).toThrow(
      /not a valid analysis/,
    );
    expect(() => analysisFrom(doc({ basicAuth: { password: "x" } }), "f")).toThrow(/not a valid analysis/);
    expect(analysisFrom(doc({ tls: { insecureSkipVerify: true } }), "f").prometheus.tls).toEqual({
      insecureSkipVerify: true,
    });
  });

  it("observability --verify with --prometheus-ca-file: connects (exit 9: nothing expected); without: exit 11 naming the flag", async () => {
    const manifest = file("ns.yaml");
    writeFileSync(manifest, "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
    let err = "";
    const io = {
      out: { write: () => undefined },
      err: {
        write: (t: string) => {
          err += t;
        },
      },
    };
    const address = basicTls.url.replace("https://", `https://${USER}:${PASSWORD}@`);
    const base = ["observability", "--verify", "-f", manifest, "--prometheus", address];
    expect(await runCli([...base, "--prometheus-ca-file", file("ca.crt")], io)).toBe(
      ExitCode.verificationFailed,
    );
    expect(err).toContain("shop: nothing to expect");
    err = "";
    expect(await runCli(base, io)).toBe(ExitCode.prometheusUnavailable);
    expect(err).toMatch(/not trusted/);
    expect(err).toContain("--prometheus-ca-file");
    expect(err).not.toContain(PASSWORD);
    err = "";
    expect(await runCli([...base, "--prometheus-insecure-skip-verify"], io)).toBe(
      ExitCode.verificationFailed,
    );
    expect(
      await runCli(["observability", "--verify", "-f", manifest, "--prometheus-ca-file", file("ca.crt")], io),
    ).toBe(ExitCode.usage);
    process.exitCode = undefined;
  });
});
