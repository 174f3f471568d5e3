// A scripted Transport: each request goes to a handler the test supplies, and is recorded.

import type { HttpRequest, HttpResponse, StreamOptions, Transport } from "../../../src/cluster/transport.js";

export type Handler = (req: HttpRequest) => HttpResponse | Promise<HttpResponse>;

export class ScriptedTransport implements Transport {
  readonly context = "test-context";
  readonly server = "https://test.invalid:6443";
  readonly requests: HttpRequest[] = [];
  streamHandler: (
    req: HttpRequest,
    onLine: (line: string) => void,
    options: StreamOptions,
  ) => Promise<HttpResponse> = async () => ({ status: 200, text: "" });
  portForwardHandler: (request: Buffer) => Promise<Buffer> = async () => {
    throw new Error("port-forward not scripted");
  };

  constructor(private readonly handler: Handler) {}

  async request(req: HttpRequest): Promise<HttpResponse> {
    this.requests.push(req);
    return this.handler(req);
  }

  stream(req: HttpRequest, onLine: (line: string) => void, options: StreamOptions): Promise<HttpResponse> {
    this.requests.push(req);
    return this.streamHandler(req, onLine, options);
  }

  portForward(_pod: { namespace: string; name: string }, _port: number, request: Buffer): Promise<Buffer> {
    return this.portForwardHandler(request);
  }
}

export const json = (status: number, body: unknown): HttpResponse => ({ status, text: JSON.stringify(body) });

export const statusBody = (code: number, reason: string, message: string) => ({
  kind: "Status",
  apiVersion: "v1",
  status: "Failure",
  code,
  reason,
  message,
});
