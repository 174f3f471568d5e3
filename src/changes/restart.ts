// A workload's pods renewed (step 4): rollout restart, or deleting the pods of a controller
// that cannot be restarted (the pods come back from their owner).

import { gateVerify } from "../gates/index.js";
import { describeRef, type ObjectRef } from "../inventory/identity.js";
import { K, kindInfo } from "../inventory/kinds.js";
import { nsFlag, resourceOf, selectorText } from "../kubectl.js";
import type { RestartMethod } from "../mesh/workloads.js";
import type { ChangeHandler } from "./handler.js";
import { freshRestartStamp } from "./restart-stamp.js";

/** Renew a workload's pods: rollout-restart, or delete-pods (matching podSelector). */
export interface RestartChange {
  type: "restart";
  target: ObjectRef;
  method: Extract<RestartMethod, "rollout-restart" | "delete-pods">;
  podSelector?: Record<string, string>;
}

function restartLine(c: RestartChange): string {
  return c.method === "rollout-restart"
    ? `kubectl rollout restart ${resourceOf(c.target)}/${c.target.name}${nsFlag(c.target)}`
    : `kubectl delete pods${nsFlag(c.target)} -l ${selectorText(c.podSelector ?? {})} --wait=false`;
}

export const restart: ChangeHandler<RestartChange> = {
  commands: (c) => [restartLine(c)],
  rollback: (c) => [
    restartLine(c),
    ...(c.method === "rollout-restart"
      ? gateVerify({ type: "rollouts-complete", targets: [c.target] }).map(
          (l) => `${l}  # pods show 2/2 again`,
        )
      : []),
  ],
  target: (c) => describeRef(c.target),
  async perform(c, ctx) {
    const { port, entry } = ctx;
    if (c.method === "rollout-restart") {
      entry.restartedAt ??= await freshRestartStamp(port, c.target, ctx.now());
      await ctx.save();
      ctx.out(restartLine(c));
      // Stamping the same restartedAt again changes nothing: a resumed restart starts no second rollout.
      await port.restart(c.target, { at: new Date(entry.restartedAt) });
      return undefined;
    }
    if (!entry.pods) {
      const pods = await port.list(kindInfo(K.Pod), c.target.namespace, {
        labelSelector: selectorText(c.podSelector ?? {}),
      });
      entry.pods = pods.items.map((p) => p.metadata.name);
    }
    await ctx.save();
    ctx.out(restartLine(c));
    for (const name of entry.pods)
      await port.delete({ apiVersion: "v1", kind: "Pod", namespace: c.target.namespace, name });
    return undefined;
  },
  async serverDryRun(c, { port }) {
    if (c.method === "rollout-restart") await port.restart(c.target, { dryRun: true });
  },
  async undo(c, { port, entry, out }) {
    out(restartLine(c));
    if (c.method === "rollout-restart")
      await port.restart(c.target, { at: new Date(await freshRestartStamp(port, c.target, new Date())) });
    else
      for (const name of entry.pods ?? [])
        await port.delete({ apiVersion: "v1", kind: "Pod", namespace: c.target.namespace, name });
  },
};
