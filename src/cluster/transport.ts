// The wire under the cluster port: raw HTTP to the apiserver, authenticated by
// @kubernetes/client-node (certificates, tokens, exec plugins) but never through its typed
// models. Kept to three operations so that unit tests can replace it with a fake.

import { PassThrough } from "node:stream";
import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  type KubeConfig,
  RequestContext,
} from "@kubernetes/client-node";
// Not re-exported by the package's index.
import { WebSocketHandler } from "@kubernetes/client-node/dist/web-socket-handler.js";
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

function url(server: string, req: HttpRequest): string {
  const u = new URL(server.replace(/\/+$/, "") + req.path);
  for (const [key, value] of Object.entries(req.query ?? {})) {
    if (value !== undefined) u.searchParams.set(key, String(value));
  }
  return u.toString();
}

export class KubeTransport implements Transport {
  readonly context: string;
  readonly server: string;
  private readonly config: KubeConfig;
  private readonly http = new IsomorphicFetchHttpLibrary();
  /**
   * The connection pool of the run. client-node builds a new undici Agent for every request, so
   * each one would open (and TLS-handshake) a connection of its own; the first one is kept and
   * its connections reused. The TLS identity of a kubeconfig context is fixed for a run.
   */
  private dispatcher: ReturnType<RequestContext["getDispatcher"]>;

  constructor(loaded: LoadedKubeconfig) {
    this.config = loaded.config;
    this.context = loaded.context;
    this.server = loaded.server;
  }

  private async send(req: HttpRequest, signal: AbortSignal) {
    const ctx = new RequestContext(url(this.server, req), HttpMethod[req.method]);
    ctx.setHeaderParam("Accept", req.accept ?? "application/json");
    if (req.body !== undefined) {
      ctx.setBody(typeof req.body === "string" ? req.body : JSON.stringify(req.body));
      ctx.setHeaderParam("Content-Type", req.contentType ?? "application/json");
    }
    await this.config.applySecurityAuthentication(ctx);
    this.dispatcher ??= ctx.getDispatcher();
    if (this.dispatcher) ctx.setDispatcher(this.dispatcher);
    ctx.setSignal(signal);
    return this.http.send(ctx).toPromise();
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const response = await this.send(req, signal);
    return { status: response.httpStatusCode, text: await response.body.text() };
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
      if (response.httpStatusCode !== 200) {
        return { status: response.httpStatusCode, text: await response.body.text() };
      }
      const body = response.body.stream();
      if (!body) return { status: 200, text: "" };
      const decoder = new TextDecoder();
      let pending = "";
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        arm();
        pending += decoder.decode(chunk, { stream: true });
        let newline = pending.indexOf("\n");
        while (newline >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line) onLine(line);
          newline = pending.indexOf("\n");
        }
      }
      if (pending.trim()) onLine(pending.trim());
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
 * (megabytes) the bundle would then load for every command that reaches a cluster.
 */
async function forwardPort(
  config: KubeConfig,
  pod: { namespace: string; name: string },
  port: number,
  output: PassThrough,
  errors: PassThrough,
  input: PassThrough,
) {
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
