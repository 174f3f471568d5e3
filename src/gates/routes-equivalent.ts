// Before step 5 deletes a VirtualService or DestinationRule: the waypoint routes every request as
// the sidecars did, read from the proxies' own config (verify-routes), against the sidecar routes
// step 1 recorded, or a sidecar client elsewhere when there is no record. istiod pushes
// asynchronously, so a difference is waited on like any pending state until the gate times out.

import { setTimeout as sleep } from "node:timers/promises";
import { readCluster } from "../inventory/from-cluster.js";
import { K, kindInfo } from "../inventory/kinds.js";
import { readRecordedRoutes } from "../verify-routes/reference.js";
import { clusterDumpReader, type VerifyReport, verifyRoutes } from "../verify-routes/verify.js";
import type { GateHandler } from "./handler.js";
import type { GateContext, GateOutcome } from "./observe.js";

export interface RoutesEquivalentGate {
  type: "routes-equivalent";
  namespace: string;
  /** The sidecar routes step 1 recorded (a path under the backup directory). */
  reference: string;
}

const KINDS = [K.Namespace, K.Pod, K.Service, K.DestinationRule, K.VirtualService, K.HTTPRoute].map(kindInfo);
const RETRY_MS = 2000;

/** What is still wrong, or undefined when every request is decided the same. */
function pendingOf(report: VerifyReport): string | undefined {
  if (report.passed) return undefined;
  const parts: string[] = [];
  for (const s of report.services) {
    if (s.result === "unverified") parts.push(`${s.name}:${s.port} unverified (${s.problems.join("; ")})`);
    const differing = s.requests.filter((r) => r.differs.length > 0);
    if (differing.length > 0) {
      const first = differing[0];
      parts.push(
        `${s.name}:${s.port}: ${differing.length} request(s) decided differently, e.g. ${first?.request} (${first?.differs.join(", ")})`,
      );
    }
  }
  return parts.join("; ");
}

export const routesEquivalent: GateHandler<RoutesEquivalentGate> = {
  describe: (gate) =>
    `the waypoint routes every request to ${gate.namespace}'s Services as the sidecars did (before anything is deleted)`,
  verify: (gate) => [`ambient-migrate verify-routes -n ${gate.namespace}  # exit 0: same decisions`],
  async observe(gate, ctx: GateContext): Promise<GateOutcome> {
    const what = routesEquivalent.describe(gate);
    const recorded = readRecordedRoutes(gate.reference);
    const reference = recorded && {
      from: `${recorded.pod} (recorded ${recorded.time})`,
      routes: recorded.routes,
    };
    const deadline = Date.now() + ctx.timeoutMs;
    let last = "";
    for (;;) {
      const inventory = await readCluster(ctx.port, { kinds: KINDS });
      const report = await verifyRoutes(
        inventory,
        gate.namespace,
        clusterDumpReader(ctx.port),
        reference ? { reference } : {},
      );
      const pending = pendingOf(report);
      if (pending === undefined)
        return {
          passed: true,
          detail: `${what}: ${report.requests} request(s) over ${report.services.length} service port(s)`,
        };
      if (pending !== last) ctx.progress(`  waiting: ${what}: ${pending}`);
      last = pending;
      if (Date.now() + RETRY_MS > deadline || ctx.signal.aborted)
        return {
          passed: false,
          detail: `${what}: ${pending}. See every request: ambient-migrate verify-routes -n ${gate.namespace} --differences-only; to go on without this proof: migrate --skip-route-verify`,
        };
      await sleep(RETRY_MS, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
  },
};
