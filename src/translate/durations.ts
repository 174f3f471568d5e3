// Istio durations (protobuf `1.5s`, or Go-style `1m30s`) to Gateway API durations
// (`^([0-9]{1,5}(h|m|s|ms)){1,4}$`, millisecond resolution).

const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000001,
};

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDurationMs(text: unknown): number | undefined {
  if (typeof text !== "string" || text.trim() === "") return undefined;
  // \u00b5 is µ: the bundle stays ASCII (see scripts/build.mjs).
  const re = /(\d+(?:\.\d+)?)(ms|us|\u00b5s|ns|h|m|s)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? Number.NaN);
    end = re.lastIndex;
  }
  return end === text.length && Number.isFinite(total) ? total : undefined;
}

/** The longest Gateway API duration: each part has at most 5 digits, hours are the largest unit. */
const MAX_GATEWAY_DURATION_MS = 99_999 * 3_600_000 + 59 * 60_000 + 59 * 1000 + 999;

/** A Gateway API duration; undefined past what its pattern can write. */
export function toGatewayDuration(ms: number): string | undefined {
  return ms >= 0 && Math.ceil(ms) <= MAX_GATEWAY_DURATION_MS ? gatewayDuration(ms) : undefined;
}

/** A Gateway API duration; sub-millisecond parts are rounded up so a non-zero stays non-zero. */
function gatewayDuration(ms: number): string {
  let rest = Math.ceil(ms);
  if (rest === 0) return "0s";
  const parts: string[] = [];
  for (const [unit, size] of [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.join("");
}
