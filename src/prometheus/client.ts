// A small client for Prometheus' HTTP query API (/api/v1/query, /api/v1/query_range), shared by
// every part of the tool that reads metrics (the call graph for waves, analysis gates). It speaks
// the documented JSON envelope only; PromQL is built by the callers.

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

export interface PrometheusOptions {
  /** Per request; Prometheus' own query timeout applies on its side too. */
  timeoutMs?: number;
  /** Extra headers (e.g. Authorization for a proxy in front of Prometheus). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

type ApiResponse =
  | { status: "success"; data: { resultType: string; result: unknown } }
  | { status: "error"; errorType?: string; error?: string };

const DEFAULT_TIMEOUT_MS = 30_000;

export class PrometheusClient {
  readonly url: string;

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
    this.url = parsed.href.replace(/\/+$/, "");
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
    let response: Response;
    try {
      // POST with a form body: long PromQL does not hit URL length limits.
      response = await fetch(`${this.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...this.options.headers },
        body: new URLSearchParams(params),
        signal,
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = timeout.aborted ? "timed out" : (cause?.code ?? cause?.message ?? (err as Error).message);
      throw new AmbientMigrateError(
        `Prometheus at ${this.url} could not be reached: ${why}`,
        ExitCode.prometheusUnavailable,
        "check the URL given with --prometheus (kubectl port-forward -n istio-system svc/prometheus 9090 gives http://127.0.0.1:9090)",
      );
    }
    const text = await response.text();
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
