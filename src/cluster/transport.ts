// The wire under the cluster port: raw HTTP to the apiserver over Node's own https client,
// authenticated by @kubernetes/client-node (certificates, tokens, exec plugins, proxies) but
// never through its typed models or its fetch (undici and web streams cost more than the JSON
// they carry: a live read of 1,000 namespaces spent more time in them than in parsing). Kept
// to three operations so that unit tests can replace it with a fake.

import type { Agent as HttpAgent, IncomingMessage, RequestOptions } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { PassThrough } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import type { LoadedKubeconfig } from "./kubeconfig.js";

type Query = Record<string, string | number | boolean | undefined>;

export interface HttpRequest {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  path: string;
  query?: Query;
  body?: unknown;
  contentType?: string;
  /** The Accept header; application/json unless given. */
  accept?: string;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  text: string;
}

export interface StreamOptions {
  signal?: AbortSignal;
  /** Abort when no byte arrives for this long (a stalled watch). */
  idleTimeoutMs: number;
}

export interface Transport {
  readonly context: string;
  readonly server: string;
  /** Network failures reject; HTTP error statuses resolve (the caller maps them). */
  request(req: HttpRequest): Promise<HttpResponse>;
  /** A streaming GET (watch): lines as they come; resolves when the server ends the stream. */
  stream(req: HttpRequest, onLine: (line: string) => void, options: StreamOptions): Promise<HttpResponse>;
  /** Raw bytes to one pod port through the apiserver's port-forward (one port per call). */
  portForward(
    pod: { namespace: string; name: string },
    port: number,
    request: Buffer,
    isComplete: (received: Buffer) => boolean,
    timeoutMs: number,
  ): Promise<Buffer>;
}

const REQUEST_TIMEOUT_MS = 60_000;

function url(server: string, req: HttpRequest): URL {
  const u = new URL(server.replace(/\/+$/, "") + req.path);
  for (const [key, value] of Object.entries(req.query ?? {})) {
    if (value !== undefined) u.searchParams.set(key, String(value));
  }
  return u;
}

/**
 * node:http for a plain-http server (a local proxy such as kubectl proxy). Taken as the CommonJS
 * module: importing it as an ES module enumerates its exports, which loads Node's own undici.
 */
async function httpModule(): Promise<typeof import("node:http")> {
  return process.getBuiltinModule?.("node:http") ?? (await import("node:http"));
}

/** The TLS identity client-node puts into request options, which a connection pool is built from. */
const TLS_OPTIONS = ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername"] as const;

/**
 * Splits a byte stream into lines, decoding each line once: the pieces of a line that spans
 * several chunks are joined when its end arrives, never re-copied chunk by chunk.
 */
export class LineSplitter {
  private carry: Buffer[] = [];

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    let newline = chunk.indexOf(10);
    while (newline >= 0) {
      let line: string;
      if (this.carry.length > 0) {
        this.carry.push(chunk.subarray(0, newline));
        line = Buffer.concat(this.carry).toString("utf8");
        this.carry = [];
      } else line = chunk.toString("utf8", start, newline);
      this.emit(line);
      start = newline + 1;
      newline = chunk.indexOf(10, start);
    }
    if (start < chunk.length) this.carry.push(chunk.subarray(start));
  }

  /** The last line, when the stream ended without a newline. */
  end(): void {
    if (this.carry.length > 0) this.emit(Buffer.concat(this.carry).toString("utf8"));
    this.carry = [];
  }

  private emit(line: string): void {
    const trimmed = line.trim();
    if (trimmed) this.onLine(trimmed);
  }
}

export class KubeTransport implements Transport {
  readonly context: string;
  readonly server: string;
  private readonly config: KubeConfig;
  private readonly proxied: boolean;
  /**
   * The connection pool of the run, with keep-alive: client-node's own agent opens (and
   * TLS-handshakes) a new connection for every request. Built from the first request's TLS
   * options: the TLS identity of a kubeconfig context is fixed for a run.
   */
  private agent: HttpAgent | undefined;

  constructor(loaded: LoadedKubeconfig) {
    this.config = loaded.config;
    this.context = loaded.context;
    this.server = loaded.server;
    // Through a proxy, client-node's agent speaks to it (CONNECT, SOCKS): that one is kept.
    this.proxied = Boolean(loaded.config.getCurrentCluster()?.proxyUrl);
  }

  /** The response's head; its body is left to the caller. Rejects with the abort reason on abort. */
  private async send(req: HttpRequest, signal: AbortSignal): Promise<IncomingMessage> {
    const target = url(this.server, req);
    // Certificates, the bearer token (an exec plugin's, refreshed when it expires), basic auth.
    const options: RequestOptions & Record<string, unknown> = {
      headers: { Accept: req.accept ?? "application/json" },
    };
    await this.config.applyToHTTPSOptions(options);
    signal.throwIfAborted();
    if (!this.proxied) {
      this.agent ??= await this.pool(target, options);
      options.agent = this.agent;
    }
    const body =
      req.body === undefined ? undefined : typeof req.body === "string" ? req.body : JSON.stringify(req.body);
    if (body !== undefined) {
      (options.headers as Record<string, string>)["Content-Type"] = req.contentType ?? "application/json";
      (options.headers as Record<string, string>)["Content-Length"] = String(Buffer.byteLength(body));
    }
    options.method = req.method;
    const send = target.protocol === "http:" ? (await httpModule()).request : httpsRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = send(target, options, resolve);
      const abort = () => outgoing.destroy(signal.reason);
      signal.addEventListener("abort", abort, { once: true });
      outgoing.on("error", (err) => reject(signal.aborted ? signal.reason : err));
      outgoing.on("close", () => signal.removeEventListener("abort", abort));
      outgoing.end(body);
    });
  }

  private async pool(target: URL, options: Record<string, unknown>): Promise<HttpAgent> {
    if (target.protocol === "http:") return new (await httpModule()).Agent({ keepAlive: true });
    const tls: Record<string, unknown> = { keepAlive: true };
    for (const key of TLS_OPTIONS) if (options[key] !== undefined) tls[key] = options[key];
    return new HttpsAgent(tls);
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const response = await this.send(req, signal);
    return { status: response.statusCode ?? 0, text: await readText(response, signal) };
  }

  async stream(
    req: HttpRequest,
    onLine: (line: string) => void,
    options: StreamOptions,
  ): Promise<HttpResponse> {
    const idle = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(
        () => idle.abort(new DOMException("watch stalled: no data", "TimeoutError")),
        options.idleTimeoutMs,
      );
      timer.unref();
    };
    const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
    arm();
    try {
      const response = await this.send(req, signal);
      if (response.statusCode !== 200) {
        return { status: response.statusCode ?? 0, text: await readText(response, signal) };
      }
      const lines = new LineSplitter(onLine);
      await new Promise<void>((resolve, reject) => {
        response.on("data", (chunk: Buffer) => {
          arm();
          lines.push(chunk);
        });
        response.on("end", () => {
          lines.end();
          resolve();
        });
        response.on("error", (err) => reject(signal.aborted ? signal.reason : err));
        // The caller's abort ends a watch-list once its initial objects are in.
        signal.addEventListener("abort", () => response.destroy(), { once: true });
        response.on("close", () => (signal.aborted ? reject(signal.reason) : resolve()));
      });
      return { status: 200, text: "" };
    } catch (err) {
      // The caller's own abort is a normal end, not a failure.
      if (options.signal?.aborted) return { status: 200, text: "" };
      throw err;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async portForward(
    pod: { namespace: string; name: string },
    port: number,
    request: Buffer,
    isComplete: (received: Buffer) => boolean,
    timeoutMs: number,
  ): Promise<Buffer> {
    const output = new PassThrough();
    const errors = new PassThrough();
    const input = new PassThrough();
    // What arrived, in a buffer that doubles as it fills: concatenating every piece again for
    // each new one was quadratic in the size of the answer.
    let buffer = Buffer.alloc(64 * 1024);
    let used = 0;
    const received = () => buffer.subarray(0, used);
    const errorText: Buffer[] = [];
    let socket: { close(): void } | undefined;
    try {
      return await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => {
          const soFar = received();
          reject(
            new Error(
              `port-forward to ${pod.namespace}/${pod.name}:${port} timed out after ${timeoutMs} ms` +
                (soFar.length > 0 ? ` with ${soFar.length} incomplete byte(s)` : " with no answer") +
                (errorText.length > 0 ? `: ${Buffer.concat(errorText).toString()}` : ""),
            ),
          );
        }, timeoutMs);
        output.on("data", (chunk: Buffer) => {
          if (used + chunk.length > buffer.length) {
            const bigger = Buffer.alloc(Math.max(buffer.length * 2, used + chunk.length));
            buffer.copy(bigger, 0, 0, used);
            buffer = bigger;
          }
          chunk.copy(buffer, used);
          used += chunk.length;
          if (isComplete(received())) {
            clearTimeout(timer);
            resolve(received());
          }
        });
        errors.on("data", (chunk: Buffer) => {
          errorText.push(chunk);
          clearTimeout(timer);
          reject(new Error(`port-forward error: ${Buffer.concat(errorText).toString().trim()}`));
        });
        forwardPort(this.config, pod, port, output, errors, input).then((ws) => {
          socket = ws;
          ws.on("close", () => {
            // A server that closes the connection ends the response ("Connection: close").
            clearTimeout(timer);
            if (used > 0) resolve(received());
            else reject(new Error("port-forward connection closed with no answer"));
          });
          input.write(request);
        }, reject);
      });
    } finally {
      socket?.close();
    }
  }
}

/**
 * client-node's PortForward.portForward for one port, on client-node's WebSocketHandler.
 * PortForward itself also carries Service and Deployment helpers, whose generated API classes
 * (megabytes) the bundle would then load for every command that reaches a cluster. Imported
 * here, on the first port-forward: ws is not loaded by the commands that only read.
 */
async function forwardPort(
  config: KubeConfig,
  pod: { namespace: string; name: string },
  port: number,
  output: PassThrough,
  errors: PassThrough,
  input: PassThrough,
) {
  // Not re-exported by the package's index.
  const { WebSocketHandler } = await import("@kubernetes/client-node/dist/web-socket-handler.js");
  const handler = new WebSocketHandler(config);
  const path = `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}/portforward?ports=${port}`;
  // Stream 0 carries the data and stream 1 the errors; each opens with the port number.
  const portPrefix = [true, true];
  const ws = await handler.connect(path, null, (stream, data) => {
    if (stream > 1) return false; // no such stream: disconnect, as PortForward does
    const buff = portPrefix[stream] ? data.subarray(2) : data;
    portPrefix[stream] = false;
    (stream === 0 ? output : errors).write(buff);
    return true;
  });
  WebSocketHandler.handleStandardInput(ws, input, 0);
  return ws;
}

/** A response's whole body as text; rejects with the abort reason when the signal aborts first. */
function readText(response: IncomingMessage, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const abort = () => response.destroy();
    signal.addEventListener("abort", abort, { once: true });
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.on("end", () => {
      signal.removeEventListener("abort", abort);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    response.on("error", (err) => reject(signal.aborted ? signal.reason : err));
    response.on("close", () => {
      if (response.complete) return;
      const early = Object.assign(new Error("the connection closed before the response ended"), {
        code: "ECONNRESET",
      });
      reject(signal.aborted ? signal.reason : early);
    });
  });
}
