// A real Prometheus for tests: recorded samples are written as OpenMetrics, turned into TSDB
// blocks by `promtool tsdb create-blocks-from openmetrics`, and served by a real `prometheus`
// process (Debian's package) on a free loopback port. Queries in tests run on real PromQL.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** One sample of a counter or gauge at a time (seconds since the epoch). */
export interface RecordedSample {
  metric: string;
  labels: Record<string, string>;
  value: number;
  time: number;
}

export interface RecordedFamily {
  name: string;
  type: "counter" | "gauge";
  help?: string;
}

export interface RunningPrometheus {
  url: string;
  stop(): Promise<void>;
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/**
 * OpenMetrics text: one family block per metric name (samples of a family must be contiguous),
 * series in time order, `# EOF` last. Counters' samples carry the `_total` suffix of their name.
 */
export function toOpenMetrics(
  families: readonly RecordedFamily[],
  samples: readonly RecordedSample[],
): string {
  const lines: string[] = [];
  for (const family of families) {
    const base = family.type === "counter" ? family.name.replace(/_total$/, "") : family.name;
    lines.push(`# HELP ${base} ${family.help ?? family.name}`, `# TYPE ${base} ${family.type}`);
    const own = samples.filter((s) => s.metric === family.name);
    const bySeries = new Map<string, RecordedSample[]>();
    for (const s of own) {
      const key = Object.entries(s.labels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(",");
      bySeries.set(key, [...(bySeries.get(key) ?? []), s]);
    }
    for (const [key, series] of bySeries)
      for (const s of series.sort((a, b) => a.time - b.time))
        lines.push(`${family.name}{${key}} ${s.value} ${s.time}`);
  }
  lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** GET url: its status, or 0 when nothing answers. Any certificate is taken (readiness only). */
function probe(url: string, ready: Ready): Promise<number> {
  return new Promise((resolve) => {
    const request = url.startsWith("https:") ? httpsRequest : httpRequest;
    const options = { headers: ready.headers ?? {}, ...ready.clientCert, rejectUnauthorized: false };
    const req = request(url, options, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.end();
  });
}

async function waitReady(
  url: string,
  child: ChildProcess,
  log: () => string,
  ready: Ready = {},
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${log()}`);
    if ((await probe(`${url}/-/ready`, ready)) === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prometheus not ready within 30s: ${log()}`);
}

/** What the readiness probe needs to pass Prometheus's authentication. */
interface Ready {
  headers?: Record<string, string>;
  /** PEM texts, for a Prometheus that requires a client certificate. */
  clientCert?: { cert: string; key: string };
}

export interface PrometheusWeb {
  /** Prometheus's --web.config.file (tls_server_config, basic_auth_users). */
  config: string;
  /** https when the config has tls_server_config. */
  scheme: "http" | "https";
  /** What passes its authentication, for the readiness probe. */
  ready?: Ready;
}

/** Loads the OpenMetrics text into a fresh TSDB and serves it with a real Prometheus. */
export async function startPrometheus(openMetrics: string, web?: PrometheusWeb): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "am-prometheus-"));
  const data = join(dir, "data");
  writeFileSync(join(dir, "recorded.om.txt"), openMetrics);
  // Nothing to scrape: the server only answers queries over the imported blocks.
  writeFileSync(join(dir, "prometheus.yml"), "global:\n  evaluation_interval: 1h\nscrape_configs: []\n");
  await exec("promtool", ["tsdb", "create-blocks-from", "openmetrics", join(dir, "recorded.om.txt"), data]);
  const port = await freePort();
  const url = `${web?.scheme ?? "http"}://127.0.0.1:${port}`;
  if (web) writeFileSync(join(dir, "web.yml"), web.config);
  let output = "";
  const child = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${data}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--storage.tsdb.retention.time=3650d",
      "--log.level=warn",
      ...(web ? [`--web.config.file=${join(dir, "web.yml")}`] : []),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.on("data", (b) => (output += String(b)));
  child.stderr?.on("data", (b) => (output += String(b)));
  try {
    await waitReady(url, child, () => output, web?.ready);
  } catch (err) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
