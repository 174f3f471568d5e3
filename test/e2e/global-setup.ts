// Starts the testbed once per e2e run (building it first if the cache is cold), or uses the
// disposable cluster a user points at with AMBIENT_E2E_KUBECONFIG (e.g. kind with real Istio;
// then kubectl and istioctl come from PATH). Also builds the CLI that the tests run.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

const repo = new URL("../..", import.meta.url).pathname;
const scripts = join(repo, "testbed/scripts");
const state = process.env.AMBIENT_TESTBED_DIR ?? join(repo, ".testbed");

let startedHere = false;

export async function setup(project: TestProject): Promise<void> {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: repo, stdio: "inherit" });
  const external = process.env.AMBIENT_E2E_KUBECONFIG;
  if (external) {
    project.provide("kubeconfig", external);
    project.provide("binDir", "");
    project.provide("testbed", false);
    project.provide("prometheusUrl", process.env.AMBIENT_E2E_PROMETHEUS ?? "");
    project.provide("trafficUrl", "");
    return;
  }
  const wasUp = existsSync(join(state, "up"));
  const up = spawnSync(join(scripts, "up.sh"), { stdio: "inherit" });
  if (up.status !== 0)
    throw new Error(`testbed/scripts/up.sh failed (exit ${up.status}); logs in ${state}/logs`);
  startedHere = !wasUp;
  project.provide("kubeconfig", join(state, "kubeconfig"));
  project.provide("binDir", join(readFileSync(join(state, "cache"), "utf8").trim(), "bin"));
  project.provide("testbed", true);
  // The telemetry add-ons (Prometheus and the traffic stand-in), as up.sh wrote their addresses.
  const url = (name: string) =>
    existsSync(join(state, name)) ? readFileSync(join(state, name), "utf8").trim() : "";
  project.provide("prometheusUrl", url("prometheus-url"));
  project.provide("trafficUrl", url("traffic-url"));
}

export async function teardown(): Promise<void> {
  // CI stops the testbed this run started; on a developer's machine it stays up for the next
  // run (a warm `up` is instant) unless AMBIENT_E2E_STOP_TESTBED=1.
  const stop = process.env.CI === "true" || process.env.AMBIENT_E2E_STOP_TESTBED === "1";
  if (startedHere && stop) {
    // down.sh fails when a process or a port of the testbed is left behind: so does the run.
    const down = spawnSync(join(scripts, "down.sh"), { stdio: "inherit" });
    if (down.status !== 0) throw new Error("testbed/scripts/down.sh left processes or ports behind");
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    kubeconfig: string;
    binDir: string;
    testbed: boolean;
    /** Prometheus scraping the traffic stand-in (testbed), or AMBIENT_E2E_PROMETHEUS. */
    prometheusUrl: string;
    /** The traffic stand-in's /faults control endpoint (testbed only). */
    trafficUrl: string;
  }
}
