// The sidecar routes recorded before migration starts: step 1 reads them from one of the
// namespace's own sidecars before the translated HTTPRoutes exist (once they do, istiod gives
// those sidecars the HTTPRoutes' routes), and step 5's gate compares the waypoint against them.
// Without the record, step 5 could only ask a sidecar client elsewhere, and there may be none.

import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { ClusterPort } from "../cluster/port.js";
import { K, kindInfo } from "../inventory/kinds.js";
import type { RouteConfigs } from "./tables.js";
import { routeConfigs } from "./tables.js";
import { clusterDumpReader, runningSidecars } from "./verify.js";

const KIND = "ambient-migrate/sidecar-routes";

export interface RecordedRoutes {
  kind: typeof KIND;
  namespace: string;
  /** The sidecar pod ("ns/name") the routes were read from, and when. */
  pod: string;
  time: string;
  routes: RouteConfigs;
}

/**
 * Reads the route tables of one of the namespace's sidecars (the first of at most three that
 * answers). Returns why nothing could be read instead, so that the step can go on: step 5's gate
 * then looks for a sidecar client elsewhere, and fails if it finds none.
 */
export async function readSidecarRoutes(
  port: ClusterPort,
  namespace: string,
  now: Date,
): Promise<RecordedRoutes | string> {
  const pods = runningSidecars((await port.list(kindInfo(K.Pod), namespace)).items);
  if (pods.length === 0) return `no running pod of ${namespace} has a sidecar`;
  const read = clusterDumpReader(port);
  const failures: string[] = [];
  for (const pod of pods.slice(0, 3)) {
    try {
      const routes = routeConfigs(await read(pod));
      return {
        kind: KIND,
        namespace,
        pod: `${pod.namespace}/${pod.name}`,
        time: now.toISOString(),
        routes: { dynamic: routes.dynamic, static: [] },
      };
    } catch (err) {
      failures.push(`${pod.name}: ${(err as Error).message}`);
    }
  }
  return `no sidecar of ${namespace} answered (${failures.join("; ")})`;
}

/** Written whole or not at all (a run stopped mid-write leaves no half file to compare with). */
export function writeRecordedRoutes(file: string, recorded: RecordedRoutes): void {
  writeFileSync(`${file}.partial`, `${JSON.stringify(recorded)}\n`);
  renameSync(`${file}.partial`, file);
}

/** The record, or undefined when there is none; a file that is not a record is an error. */
export function readRecordedRoutes(file: string): RecordedRoutes | undefined {
  if (!existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<RecordedRoutes>;
  if (parsed.kind !== KIND || !parsed.routes || !Array.isArray(parsed.routes.dynamic))
    throw new Error(`${file} is not a record of sidecar routes (kind ${JSON.stringify(parsed.kind)})`);
  return parsed as RecordedRoutes;
}
