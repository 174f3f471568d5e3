// Just enough HTTP/1.1 to GET an admin endpoint over a port-forward byte stream: write one
// request, and know when its response is complete (Content-Length or chunked) without
// waiting for the connection to close.

export function getRequest(path: string): Buffer {
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\nConnection: close\r\n\r\n`,
  );
}

interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Whether every byte the headers promise has arrived. */
  complete: boolean;
}

const HEADER_END = Buffer.from("\r\n\r\n");
const LAST_CHUNK = Buffer.from("0\r\n\r\n");

/**
 * Whether the response in `data` is complete, asked as each piece of it arrives: a chunked body
 * is parsed only once the data ends with the last chunk, not for every piece (a ztunnel config
 * dump comes in hundreds of pieces: parsing all of it each time was quadratic).
 */
export function responseComplete(data: Buffer): boolean {
  const end = data.indexOf(HEADER_END);
  if (end < 0) return false;
  const chunked = /\r\ntransfer-encoding:[^\r]*\bchunked\b/i.test(data.subarray(0, end).toString("latin1"));
  if (chunked && !data.subarray(data.length - LAST_CHUNK.length).equals(LAST_CHUNK)) return false;
  return parseResponse(data)?.complete === true;
}

export function parseResponse(data: Buffer): ParsedResponse | undefined {
  const end = data.indexOf(HEADER_END);
  if (end < 0) return undefined;
  const [statusLine = "", ...lines] = data.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/\d(?:\.\d)? (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isFinite(status)) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = data.subarray(end + HEADER_END.length);
  if (/\bchunked\b/i.test(headers["transfer-encoding"] ?? "")) {
    const { body, complete } = dechunk(rest);
    return { status, headers, body, complete };
  }
  const length = headers["content-length"];
  if (length !== undefined) {
    const n = Number(length);
    return { status, headers, body: rest.subarray(0, n), complete: rest.length >= n };
  }
  // No framing: the body ends when the connection closes.
  return { status, headers, body: rest, complete: false };
}

function dechunk(data: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", offset);
    if (lineEnd < 0) return { body: Buffer.concat(parts), complete: false };
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString("latin1").split(";")[0] ?? "", 16);
    if (!Number.isFinite(size)) return { body: Buffer.concat(parts), complete: false };
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    const start = lineEnd + 2;
    if (data.length < start + size + 2) return { body: Buffer.concat(parts), complete: false };
    parts.push(data.subarray(start, start + size));
    offset = start + size + 2;
  }
}
