// The wire under the cluster port: raw HTTP to the apiserver over Node's own http2 and https
// clients, authenticated by @kubernetes/client-node (certificates, tokens, exec plugins,
// proxies) but never through its typed models or its fetch (undici and web streams cost more
// than the JSON they carry: a live read of 1,000 namespaces spent more time in them than in
// parsing). Kept to three operations so that unit tests can replace it with a fake.

import type { Agent as HttpAgent, OutgoingHttpHeaders, RequestOptions } from "node:http";
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect as http2Connect,
  constants as http2Constants,
} from "node:http2";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { PassThrough, type Readable } from "node:stream";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
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

function tlsIdentity(options: Record<string, unknown>): Record<string, unknown> {
  const tls: Record<string, unknown> = {};
  for (const key of TLS_OPTIONS) if (options[key] !== undefined) tls[key] = options[key];
  return tls;
}

/** A response's status and its body, from HTTP/1.1 or HTTP/2 alike. */
interface Exchange {
  status: number;
  body: Readable;
}

/** Headers HTTP/2 forbids (RFC 9113 8.2.2); HTTP/1.1 sends them, or Node adds them. */
const CONNECTION_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "host"]);

/**
 * client-go's HTTP/2 health check (ReadIdleTimeout 30 s, PingTimeout 15 s): a connection that
 * has read nothing for this long is pinged, and closed when the ping is not answered in time. A
 * network drop that sends no FIN or RST (a NAT forgetting the flow, a node gone) would otherwise
 * leave every request and watch of a long run (the controller's) waiting on a dead connection:
 * with one connection, retries have no other to go to.
 */
export interface ConnectionHealth {
  readIdleMs: number;
  pingTimeoutMs: number;
}

const HEALTH: ConnectionHealth = { readIdleMs: 30_000, pingTimeoutMs: 15_000 };

/**
 * One HTTP/2 connection to the apiserver for the whole run, as client-go keeps: every list,
 * watch and request is a stream on it. Over HTTP/1.1 each watch-list that ends early (they all
 * do: the objects are in once the bookmark arrives) costs its connection, so a live read of every kind
 * TLS-handshook ~30 times, client and apiserver both paying on the same 2 cores; a cancelled
 * HTTP/2 stream costs nothing. sessionFor() is undefined when the server does not speak HTTP/2
 * (ALPN): the caller then stays on HTTP/1.1 for the run.
 */
class Http2Connection {
  private session: ClientHttp2Session | undefined;
  private opening: Promise<ClientHttp2Session | undefined> | undefined;
  private unsupported = false;
  /** Streams open per session: a session without any does not keep the process alive. */
  private readonly active = new WeakMap<ClientHttp2Session, number>();

  constructor(private readonly health: ConnectionHealth) {}

  /** `options`: the request options client-node filled in; their TLS identity opens the connection. */
  async sessionFor(target: URL, options: Record<string, unknown>): Promise<ClientHttp2Session | undefined> {
    if (this.unsupported) return undefined;
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    this.opening ??= this.connect(target, tlsIdentity(options)).finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async connect(target: URL, tls: Record<string, unknown>): Promise<ClientHttp2Session | undefined> {
    const host = target.hostname.replace(/^\[|\]$/g, "");
    const socket = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({
        host,
        port: Number(target.port || 443),
        // Naming an IP address in SNI is not allowed (RFC 6066); its certificate is still checked.
        ...(isIP(host) ? {} : { servername: host }),
        ...tls,
        ALPNProtocols: ["h2", "http/1.1"],
      });
      s.once("secureConnect", () => resolve(s));
      s.once("error", reject);
    });
    if (socket.alpnProtocol !== "h2") {
      socket.destroy();
      this.unsupported = true;
      return undefined;
    }
    const session = http2Connect(target.origin, {
      createConnection: () => socket,
      // Large windows, so that a list of thousands of objects is not paced by window updates.
      settings: { initialWindowSize: 4 << 20 },
    });
    session.on("error", () => {}); // its streams report it; an unheard 'error' would end the process
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    session.on("close", forget);
    session.on("goaway", forget);
    session.on("connect", () => session.setLocalWindowSize(32 << 20));
    session.setTimeout(this.health.readIdleMs, () => {
      const unanswered = setTimeout(() => {
        const err = new Error(`the apiserver did not answer a ping in ${this.health.pingTimeoutMs} ms`);
        session.destroy(Object.assign(err, { code: "ETIMEDOUT" }));
      }, this.health.pingTimeoutMs).unref();
      if (!session.ping(() => clearTimeout(unanswered))) clearTimeout(unanswered);
    });
    session.unref();
    this.session = session;
    return session;
  }

  request(
    session: ClientHttp2Session,
    target: URL,
    method: string,
    headers: OutgoingHttpHeaders,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<Exchange> {
    const h2Headers: OutgoingHttpHeaders = {
      ":method": method,
      ":path": target.pathname + target.search,
    };
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (value !== undefined && !CONNECTION_HEADERS.has(lower)) h2Headers[lower] = value;
    }
    this.opened(session);
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(h2Headers, { endStream: body === undefined });
    } catch (err) {
      this.closed(session);
      return Promise.reject(err);
    }
    stream.once("close", () => this.closed(session));
    return new Promise<Exchange>((resolve, reject) => {
      const abort = () => {
        stream.close(http2Constants.NGHTTP2_CANCEL);
        reject(signal.reason);
      };
      signal.addEventListener("abort", abort, { once: true });
      stream.once("close", () => signal.removeEventListener("abort", abort));
      stream.once("response", (responseHeaders) => {
        resolve({ status: Number(responseHeaders[":status"] ?? 0), body: stream });
      });
      stream.once("error", (err) => reject(signal.aborted ? signal.reason : err));
      // Reset by the server, or its connection gone, before any answer (no effect once resolved).
      stream.once("close", () =>
        reject(Object.assign(new Error("the stream closed before a response"), { code: "ECONNRESET" })),
      );
      if (body !== undefined) stream.end(body);
    });
  }

  private opened(session: ClientHttp2Session): void {
    const streams = this.active.get(session) ?? 0;
    if (streams === 0) session.ref();
    this.active.set(session, streams + 1);
  }

  private closed(session: ClientHttp2Session): void {
    const streams = (this.active.get(session) ?? 1) - 1;
    this.active.set(session, streams);
    if (streams === 0 && !session.destroyed) session.unref();
  }
}

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
  private readonly http2: Http2Connection;

  constructor(loaded: LoadedKubeconfig, health: ConnectionHealth = HEALTH) {
    this.http2 = new Http2Connection(health);
    this.config = loaded.config;
    this.context = loaded.context;
    this.server = loaded.server;
    // Through a proxy, client-node's agent speaks to it (CONNECT, SOCKS): that one is kept.
    this.proxied = Boolean(loaded.config.getCurrentCluster()?.proxyUrl);
  }

  /** The response's head; its body is left to the caller. Rejects with the abort reason on abort. */
  private async send(req: HttpRequest, signal: AbortSignal): Promise<Exchange> {
    const target = url(this.server, req);
    // Certificates, the bearer token (an exec plugin's, refreshed when it expires), basic auth.
    const options: RequestOptions & Record<string, unknown> = {
      headers: { Accept: req.accept ?? "application/json" },
    };
    await this.config.applyToHTTPSOptions(options);
    signal.throwIfAborted();
    const headers = options.headers as Record<string, string>;
    const body =
      req.body === undefined ? undefined : typeof req.body === "string" ? req.body : JSON.stringify(req.body);
    if (body !== undefined) {
      headers["Content-Type"] = req.contentType ?? "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(body));
    }
    if (!this.proxied && target.protocol === "https:") {
      const session = await this.http2.sessionFor(target, options);
      signal.throwIfAborted();
      if (session) {
        if (typeof options.auth === "string")
          headers.Authorization = `Basic ${Buffer.from(options.auth).toString("base64")}`;
        return this.http2.request(session, target, req.method, headers, body, signal);
      }
    }
    if (!this.proxied) {
      this.agent ??= await this.pool(target, options);
      options.agent = this.agent;
    }
    options.method = req.method;
    const send = target.protocol === "http:" ? (await httpModule()).request : httpsRequest;
    return new Promise<Exchange>((resolve, reject) => {
      const outgoing = send(target, options, (response) =>
        resolve({ status: response.statusCode ?? 0, body: response }),
      );
      const abort = () => outgoing.destroy(signal.reason);
      signal.addEventListener("abort", abort, { once: true });
      outgoing.on("error", (err) => reject(signal.aborted ? signal.reason : err));
      outgoing.on("close", () => signal.removeEventListener("abort", abort));
      outgoing.end(body);
    });
  }

  private async pool(target: URL, options: Record<string, unknown>): Promise<HttpAgent> {
    if (target.protocol === "http:") return new (await httpModule()).Agent({ keepAlive: true });
    return new HttpsAgent({ keepAlive: true, ...tlsIdentity(options) });
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const response = await this.send(req, signal);
    return { status: response.status, text: await readText(response.body, signal) };
  }

  async stream(
    req: HttpRequest,
    onLine: (line: string) => void,
    options: StreamOptions,
  ): Promise<HttpResponse> {
    const idle = new AbortController();
    // Pushed back as each chunk arrives: refresh() re-arms the same timer (a new timer per chunk
    // showed ~20 ms of a 1,000-namespace read in a CPU profile).
    const timer = setTimeout(
      () => idle.abort(new DOMException("watch stalled: no data", "TimeoutError")),
      options.idleTimeoutMs,
    ).unref();
    const arm = () => timer.refresh();
    const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
    try {
      const { status, body: response } = await this.send(req, signal);
      if (status !== 200) return { status, text: await readText(response, signal) };
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
      clearTimeout(timer);
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
function readText(response: Readable, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let complete = false;
    const abort = () => response.destroy();
    signal.addEventListener("abort", abort, { once: true });
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.on("end", () => {
      complete = true;
      signal.removeEventListener("abort", abort);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    response.on("error", (err) => reject(signal.aborted ? signal.reason : err));
    response.on("close", () => {
      if (complete) return;
      const early = Object.assign(new Error("the connection closed before the response ended"), {
        code: "ECONNRESET",
      });
      reject(signal.aborted ? signal.reason : early);
    });
  });
}
