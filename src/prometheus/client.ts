// A small client for Prometheus' HTTP query API (/api/v1/query, /api/v1/query_range), shared by
// every part of the tool that reads metrics (the call graph for waves, analysis gates,
// observability --verify). It speaks the documented JSON envelope only; PromQL is built by the
// callers. node:http(s) rather than fetch: fetch takes no CA, client certificate or server name.

import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { AmbientMigrateError, ExitCode } from "../errors.js";

/** One series of an instant vector: its labels and value at the evaluation time. */
export interface InstantSample {
  labels: Record<string, string>;
  value: number;
  /** Evaluation time, in seconds since the epoch. */
  time: number;
}

/** One series of a range query: its labels and [time (s), value] points. */
export interface RangeSeries {
  labels: Record<string, string>;
  points: [number, number][];
}

/** TLS towards Prometheus, named as in Prometheus's own tls_config. */
export interface PrometheusTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
  insecureSkipVerify?: boolean;
}

/** How to reach Prometheus: the analysis file's `prometheus:` block, or the --prometheus-* flags. */
export interface PrometheusConnection {
  address: string;
  bearerToken?: string;
  /** Read at every query, so a rotated token is picked up. */
  bearerTokenFile?: string;
  basicAuth?: { username: string; password?: string; passwordFile?: string };
  tls?: PrometheusTls;
  timeoutMs?: number;
}

export interface PrometheusOptions extends Omit<PrometheusConnection, "address"> {
  /** Extra headers (e.g. for a proxy in front of Prometheus). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

type ApiResponse =
  | { status: "success"; data: { resultType: string; result: unknown } }
  | { status: "error"; errorType?: string; error?: string };

const DEFAULT_TIMEOUT_MS = 30_000;

function readFileFor(what: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new AmbientMigrateError(
      `cannot read the Prometheus ${what} ${file}: ${(err as Error).message}`,
      ExitCode.notFound,
    );
  }
}

/** Node's TLS errors that mean "this certificate is not one we trust" (openssl's verify codes). */
const UNTRUSTED = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
]);

export class PrometheusClient {
  /** The base URL, without credentials (it is printed in messages). */
  readonly url: string;
  private readonly tls: {
    ca?: string;
    cert?: string;
    key?: string;
    servername?: string;
    rejectUnauthorized: boolean;
  };
  private readonly basic: { username: string; password?: string; passwordFile?: string } | undefined;

  /** From the analysis file's block or the flags. */
  static connect(c: PrometheusConnection, extra: Pick<PrometheusOptions, "headers" | "signal"> = {}) {
    const { address, ...options } = c;
    return new PrometheusClient(address, { ...options, ...extra });
  }

  constructor(
    url: string,
    private readonly options: PrometheusOptions = {},
  ) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new AmbientMigrateError(
        `--prometheus ${url} is not a URL`,
        ExitCode.usage,
        "give the base URL, e.g. http://prometheus.istio-system:9090",
      );
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      throw new AmbientMigrateError(`--prometheus ${url}: only http and https`, ExitCode.usage);
    // https://user:pass@host: basic auth, as curl and Prometheus's own clients read it.
    this.basic =
      options.basicAuth ??
      (parsed.username
        ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
        : undefined);
    parsed.username = "";
    parsed.password = "";
    this.url = parsed.href.replace(/\/+$/, "");
    const t = options.tls ?? {};
    if ((t.certFile === undefined) !== (t.keyFile === undefined))
      throw new AmbientMigrateError(
        "a Prometheus client certificate needs both certFile and keyFile",
        ExitCode.usage,
        "give both (--prometheus-cert-file and --prometheus-key-file), or neither",
      );
    if (parsed.protocol === "http:" && Object.keys(t).length > 0)
      throw new AmbientMigrateError(
        `TLS settings for Prometheus at ${this.url}, which is http`,
        ExitCode.usage,
        "use an https:// address, or drop the TLS settings",
      );
    this.tls = {
      ...(t.caFile ? { ca: readFileFor("CA file", t.caFile) } : {}),
      ...(t.certFile ? { cert: readFileFor("client certificate", t.certFile) } : {}),
      ...(t.keyFile ? { key: readFileFor("client key", t.keyFile) } : {}),
      ...(t.serverName ? { servername: t.serverName } : {}),
      rejectUnauthorized: t.insecureSkipVerify !== true,
    };
  }

  /** Authorization for one request: the token file is read each time (rotated tokens). */
  private authorization(): string | undefined {
    const o = this.options;
    if (o.bearerTokenFile) return `Bearer ${readFileFor("bearer token file", o.bearerTokenFile).trim()}`;
    if (o.bearerToken) return `Bearer ${o.bearerToken}`;
    if (this.basic) {
      const password = this.basic.passwordFile
        ? readFileFor("password file", this.basic.passwordFile).trim()
        : (this.basic.password ?? "");
      return `Basic ${Buffer.from(`${this.basic.username}:${password}`).toString("base64")}`;
    }
    return undefined;
  }

  /** One POST; resolves with the status and body, rejects with the transport's error. */
  private async post(
    path: string,
    body: string,
    signal: AbortSignal,
  ): Promise<{ status: number; text: string }> {
    // Imported when a query is made: importing node:http as an ES module loads Node's bundled
    // undici (~80 ms), which every command would pay at start-up for nothing.
    const [{ request: httpRequest }, { request: httpsRequest }] = await Promise.all([
      import("node:http"),
      import("node:https"),
    ]);
    const url = new URL(`${this.url}${path}`);
    const authorization = this.authorization();
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      "content-length": String(Buffer.byteLength(body)),
      ...(authorization ? { authorization } : {}),
      ...this.options.headers,
    };
    return new Promise((resolve, reject) => {
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      };
      const req =
        url.protocol === "https:"
          ? httpsRequest(url, { method: "POST", headers, signal, ...this.tls }, onResponse)
          : httpRequest(url, { method: "POST", headers, signal }, onResponse);
      req.on("error", reject);
      req.end(body);
    });
  }

  /** The error for a request that got no HTTP answer, with what to do about it. */
  private unreachable(err: unknown, timedOut: boolean): AmbientMigrateError {
    const e = err as { code?: string; message?: string };
    const code = e.code ?? "";
    const why = timedOut ? "timed out" : `${code ? `${code}: ` : ""}${e.message ?? String(err)}`;
    if (UNTRUSTED.has(code))
      return new AmbientMigrateError(
        `Prometheus at ${this.url} presented a certificate that is not trusted (${why})`,
        ExitCode.prometheusUnavailable,
        "give the CA that signed it: prometheus.tls.caFile in the analysis file or --prometheus-ca-file FILE (insecureSkipVerify / --prometheus-insecure-skip-verify skips the check: test setups only)",
      );
    if (code === "ERR_TLS_CERT_ALTNAME_INVALID")
      return new AmbientMigrateError(
        `Prometheus at ${this.url} presented a certificate for another name (${why})`,
        ExitCode.prometheusUnavailable,
        "connect by a name the certificate holds, or name it: prometheus.tls.serverName / --prometheus-server-name NAME",
      );
    if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID")
      return new AmbientMigrateError(
        `Prometheus at ${this.url} presented a certificate outside its validity (${why})`,
        ExitCode.prometheusUnavailable,
        "renew Prometheus's certificate (or check this machine's clock)",
      );
    if (/certificate required|alert bad certificate|alert unknown ca/i.test(e.message ?? ""))
      return new AmbientMigrateError(
        `Prometheus at ${this.url} refused the TLS handshake: it wants a client certificate it trusts (${why})`,
        ExitCode.prometheusUnavailable,
        "give one: prometheus.tls.certFile and keyFile / --prometheus-cert-file and --prometheus-key-file",
      );
    if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "EPROTO")
      return new AmbientMigrateError(
        `Prometheus at ${this.url} did not speak TLS (${why})`,
        ExitCode.prometheusUnavailable,
        "use http:// for a Prometheus without TLS",
      );
    return new AmbientMigrateError(
      `Prometheus at ${this.url} could not be reached: ${why}`,
      ExitCode.prometheusUnavailable,
      "check the URL given with --prometheus (kubectl port-forward -n istio-system svc/prometheus 9090 gives http://127.0.0.1:9090)",
    );
  }

  /** An instant query; `time` defaults to the server's now. */
  async query(expr: string, time?: Date): Promise<InstantSample[]> {
    const data = await this.call("/api/v1/query", {
      query: expr,
      ...(time ? { time: String(time.getTime() / 1000) } : {}),
    });
    if (data.resultType === "scalar") {
      const [t, v] = data.result as [number, string];
      return [{ labels: {}, value: parseSampleValue(v), time: t }];
    }
    if (data.resultType !== "vector") throw this.unexpected(expr, data.resultType, "vector");
    return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({
      labels: s.metric,
      value: parseSampleValue(s.value[1]),
      time: s.value[0],
    }));
  }

  /** A range query from `start` to `end` every `stepSeconds`. */
  async queryRange(expr: string, start: Date, end: Date, stepSeconds: number): Promise<RangeSeries[]> {
    const data = await this.call("/api/v1/query_range", {
      query: expr,
      start: String(start.getTime() / 1000),
      end: String(end.getTime() / 1000),
      step: String(stepSeconds),
    });
    if (data.resultType !== "matrix") throw this.unexpected(expr, data.resultType, "vector");
    return (data.result as { metric: Record<string, string>; values: [number, string][] }[]).map((s) => ({
      labels: s.metric,
      points: s.values.map(([t, v]) => [t, parseSampleValue(v)] as [number, number]),
    }));
  }

  private async call(
    path: string,
    params: Record<string, string>,
  ): Promise<{ resultType: string; result: unknown }> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
    let response: { status: number; text: string };
    try {
      // POST with a form body: long PromQL does not hit URL length limits.
      response = await this.post(path, new URLSearchParams(params).toString(), signal);
    } catch (err) {
      if (err instanceof AmbientMigrateError) throw err;
      throw this.unreachable(err, timeout.aborted);
    }
    const { text } = response;
    if (response.status === 401 || response.status === 403)
      throw new AmbientMigrateError(
        `Prometheus at ${this.url} refused the request: HTTP ${response.status} ${text.trim().slice(0, 100)} (${this.authorization() ? "the credentials given were not accepted" : "no credentials were given"})`,
        ExitCode.prometheusUnavailable,
        "give credentials Prometheus accepts: prometheus.bearerToken / bearerTokenFile / basicAuth in the analysis file, --prometheus-token-file FILE, or https://user:password@host in the URL",
      );
    if (response.status === 400 && /HTTP request to an HTTPS server/i.test(text))
      throw new AmbientMigrateError(
        `Prometheus at ${this.url} serves https`,
        ExitCode.prometheusUnavailable,
        `use ${this.url.replace(/^http:/, "https:")} (with its CA: --prometheus-ca-file)`,
      );
    let body: ApiResponse | undefined;
    try {
      body = JSON.parse(text) as ApiResponse;
    } catch {
      body = undefined;
    }
    if (!body || typeof body !== "object" || !("status" in body))
      throw new AmbientMigrateError(
        `${this.url}${path} answered HTTP ${response.status} without Prometheus' JSON: ${text.slice(0, 200)}`,
        ExitCode.prometheusUnavailable,
        "--prometheus must point at the Prometheus server itself (the URL its UI is served from)",
      );
    if (body.status !== "success")
      throw new AmbientMigrateError(
        `Prometheus refused the query (${body.errorType ?? `HTTP ${response.status}`}): ${body.error ?? ""}`,
        ExitCode.prometheusUnavailable,
        `the query was: ${params.query}`,
      );
    return body.data;
  }

  private unexpected(expr: string, got: string, wanted: string): AmbientMigrateError {
    return new AmbientMigrateError(
      `Prometheus answered a ${got} to ${expr}, where a ${wanted} was expected`,
      ExitCode.prometheusUnavailable,
    );
  }
}

/**
 * A sample value as the API writes it: a decimal string, or "+Inf", "-Inf", "NaN" (Go's
 * FormatFloat), which Number() would read as NaN for the infinities. histogram_quantile gives
 * +Inf when the quantile is in the +Inf bucket and NaN when there were no observations.
 */
export function parseSampleValue(text: string): number {
  switch (text) {
    case "+Inf":
    case "Inf":
      return Number.POSITIVE_INFINITY;
    case "-Inf":
      return Number.NEGATIVE_INFINITY;
    case "NaN":
      return Number.NaN;
  }
  const value = typeof text === "string" && text.trim() !== "" ? Number(text) : Number.NaN;
  if (Number.isNaN(value))
    throw new AmbientMigrateError(
      `Prometheus answered a sample value that is not a number: ${JSON.stringify(text)}`,
      ExitCode.prometheusUnavailable,
    );
  return value;
}

/** Prometheus durations as the API takes them: 30s, 5m, 7d, 1h30m. */
export function parsePromDuration(text: string): number {
  const match = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!text || !match)
    throw new AmbientMigrateError(
      `${text} is not a Prometheus duration`,
      ExitCode.usage,
      "use e.g. 1h, 24h, 7d, 2w",
    );
  const [w, d, h, m, s] = match.slice(1).map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const seconds = (((w * 7 + d) * 24 + h) * 60 + m) * 60 + s;
  if (seconds === 0)
    throw new AmbientMigrateError(`${text}: the window must be longer than 0`, ExitCode.usage);
  return seconds;
}
