// An object server-side applied: the translated objects and the waypoint (step 1), the bypass
// DENY policies (step 4).

import { stripServerFields } from "../backup/strip.js";
import { type Gate, gateVerify } from "../gates/index.js";
import { describeRef, refOf } from "../inventory/identity.js";
import type { KubeObject } from "../inventory/model.js";
import { kubectlTarget } from "../kubectl.js";
import { FIELD_MANAGER } from "../ownership.js";
import { toYaml } from "../serialize.js";
import type { ChangeHandler } from "./handler.js";

/**
 * Server-side apply an object. `created`: it did not exist, so rollback deletes it.
 * `waitFor`: observe this gate before the next change (e.g. the waypoint is programmed
 * before the namespace is pointed at it). `waitBefore`: observe this gate before applying
 * (the bypass DENY policies wait for step 4's rollouts).
 */
export interface ApplyChange {
  type: "apply";
  object: KubeObject;
  reason: string;
  created: boolean;
  waitFor?: Gate;
  waitBefore?: Gate;
}

function applyLine(object: KubeObject): string {
  return `kubectl apply --server-side --field-manager=${FIELD_MANAGER} -f - <<'EOF'\n${toYaml(object).trimEnd()}\nEOF`;
}

export const apply: ChangeHandler<ApplyChange> = {
  commands: (c) => [
    ...(c.waitBefore ? gateVerify(c.waitBefore) : []),
    applyLine(c.object),
    ...(c.waitFor ? gateVerify(c.waitFor) : []),
  ],
  rollback: (c) => (c.created ? [`kubectl delete ${kubectlTarget(refOf(c.object))}`] : []),
  target: (c) => describeRef(refOf(c.object)),
  gatesBefore: (c) => (c.waitBefore ? [c.waitBefore] : []),
  gatesAfter: (c) => (c.waitFor ? [c.waitFor] : []),
  async perform(c, ctx) {
    const { port, entry } = ctx;
    if (!ctx.resumed) {
      const existing = await port.get(refOf(c.object));
      entry.existed = existing !== undefined;
      if (existing) entry.previousObject = stripServerFields(existing);
    }
    await ctx.save();
    ctx.out(applyLine(c.object));
    await port.apply(c.object, { force: true });
    return undefined;
  },
  async serverDryRun(c, { port }) {
    await port.apply(c.object, { dryRun: true, force: true });
  },
  async undo(c, { port, entry, out }) {
    const ref = refOf(c.object);
    if (entry.existed === false) {
      for (const line of apply.rollback({ ...c, created: true })) out(line);
      await port.delete(ref);
    } else if (entry.previousObject) {
      out(`kubectl apply --server-side --force-conflicts -f -  # ${ref.kind}/${ref.name} as it was`);
      await port.apply(entry.previousObject, { force: true });
    }
  },
};
