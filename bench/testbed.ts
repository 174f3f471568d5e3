// What the benchmarks that run against the testbed share: where it is, and its kubectl.

import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const repo = new URL("../../../..", import.meta.url).pathname; // node_modules/.cache/am-bench/bench/
/** The testbed's state dir, as testbed/scripts/lib.sh picks it. */
export const testbedDir = process.env.AMBIENT_TESTBED_DIR ?? join(repo, ".testbed");

/** The environment for child processes: KUBECONFIG, and the testbed's kubectl and istioctl first on PATH. */
export function testbedEnv(kubeconfig: string): NodeJS.ProcessEnv {
  const cache = join(testbedDir, "cache");
  return {
    ...process.env,
    KUBECONFIG: kubeconfig,
    PATH: existsSync(cache)
      ? `${readFileSync(cache, "utf8").trim()}/bin:${process.env.PATH}`
      : process.env.PATH,
  };
}

/** Real kubectl; rejects with its stderr. */
export function kubectlIn(env: NodeJS.ProcessEnv): (argv: string[], input?: string) => Promise<string> {
  return (argv, input) =>
    new Promise((resolve, reject) => {
      const child = execFile("kubectl", argv, { env, maxBuffer: 256 * 2 ** 20 }, (err, stdout, stderr) =>
        err ? reject(new Error(`kubectl ${argv.join(" ")}: ${stderr || err.message}`)) : resolve(stdout),
      );
      if (input !== undefined) child.stdin?.end(input);
    });
}

export const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

export interface Timed {
  code: number | null;
  wallMs: number;
  /** User + system CPU time of the process (its own work, not its waiting). */
  cpuMs: number;
  maxRssMb: number;
  stdout: string;
  stderr: string;
}

/** Runs a process under /usr/bin/time: wall time, CPU time and peak RSS. */
export function timeProcess(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn("/usr/bin/time", ["-f", "\ntimed: cpu_s=%U+%S maxrss_kb=%M", ...argv], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("close", (code) => {
      const figures = /\ntimed: cpu_s=([\d.]+)\+([\d.]+) maxrss_kb=(\d+)\s*$/.exec(stderr);
      resolve({
        code,
        wallMs: performance.now() - started,
        cpuMs: (Number(figures?.[1]) + Number(figures?.[2])) * 1000,
        maxRssMb: Number(figures?.[3]) / 1024,
        stdout: Buffer.concat(stdout).toString(),
        stderr: figures ? stderr.slice(0, figures.index) : stderr,
      });
    });
  });
}
