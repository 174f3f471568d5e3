// A rollout restart stamps the pod template with a time of second precision; stamping the value
// already there starts no rollout. Runs, rollbacks and re-runs follow each other within a
// second, so a new restart always picks a stamp different from the live one.

import { type ClusterPort, RESTARTED_AT, restartedAtValue } from "../cluster/port.js";
import type { ObjectRef } from "../inventory/identity.js";

export async function freshRestartStamp(port: ClusterPort, ref: ObjectRef, now: Date): Promise<string> {
  const live = await port.get(ref);
  const current = live?.spec?.template?.metadata?.annotations?.[RESTARTED_AT] as string | undefined;
  const candidate = restartedAtValue(now);
  if (current === undefined || candidate > current) return candidate;
  return restartedAtValue(new Date(Date.parse(current) + 1000));
}
