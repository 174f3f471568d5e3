// The fault tests stop and start control-plane components, so they run on a testbed of their
// own: its own state directory and its own ports (all below 32768, none a default of
// testbed/scripts/lib.sh), so that the e2e files on the default testbed never see a fault.
// The faults file starts it in beforeAll and, when it started it, stops it in afterAll (down.sh
// checks that no process or port is left behind).

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const repo = new URL("../..", import.meta.url).pathname;
const scripts = join(repo, "testbed/scripts");

/** Where the fault testbed keeps its state (AMBIENT_FAULTS_TESTBED_DIR moves it). */
const faultTestbedDir = process.env.AMBIENT_FAULTS_TESTBED_DIR ?? join(repo, ".testbed-faults");

/** Its ports, as lib.sh reads them. */
const PORTS = {
  TESTBED_ETCD_PORT: "24790",
  TESTBED_ETCD_PEER_PORT: "24800",
  TESTBED_APISERVER_PORT: "17443",
  TESTBED_KWOK_PORT: "21250",
  TESTBED_ISTIOD_HTTP_PORT: "19080",
  TESTBED_ISTIOD_GRPC_PORT: "16010",
  TESTBED_ISTIOD_SECURE_GRPC_PORT: "16012",
  TESTBED_ISTIOD_WEBHOOK_PORT: "16017",
  TESTBED_ISTIOD_MONITORING_PORT: "16014",
  TESTBED_ZTUNNEL_ADMIN_PORT: "26000",
  TESTBED_PROMETHEUS_PORT: "30090",
  TESTBED_TRAFFIC_PORT: "30100",
  TESTBED_ENVOY_STATUS_PORT: "26100",
};

/** The environment of every testbed script run on the fault testbed. */
export const faultTestbedEnv: NodeJS.ProcessEnv = {
  ...process.env,
  ...PORTS,
  AMBIENT_TESTBED_DIR: faultTestbedDir,
};

export const faultKubeconfig = join(faultTestbedDir, "kubeconfig");

/** Whether its processes are running (up.sh leaves `up` behind; down.sh removes it). */
export function faultTestbedUp(): boolean {
  return existsSync(join(faultTestbedDir, "up"));
}

/** Stops every process of the fault testbed; throws when down.sh finds one or a port left. */
export function stopFaultTestbed(): void {
  if (!existsSync(join(faultTestbedDir, "pids"))) return;
  const down = spawnSync(join(scripts, "down.sh"), { env: faultTestbedEnv, stdio: "inherit" });
  if (down.status !== 0)
    throw new Error(`testbed/scripts/down.sh left processes or ports of ${faultTestbedDir} behind`);
}
