// Every workload's rollout completed, judged as `kubectl rollout status` judges it.

import type { ObjectRef } from "../inventory/identity.js";
import { lookupKind } from "../inventory/kinds.js";
import type { KubeObject } from "../inventory/model.js";
import { nsFlag, resourceOf } from "../kubectl.js";
import type { GateHandler } from "./handler.js";
import { type Condition, watchEach } from "./observe.js";

export interface RolloutsCompleteGate {
  type: "rollouts-complete";
  targets: ObjectRef[];
}

/** undefined when the rollout is complete; otherwise what it is waiting for. */
export function rolloutPending(o: KubeObject): string | undefined {
  const status = o.status ?? {};
  const generation = o.metadata.generation as number | undefined;
  if (generation !== undefined && (status.observedGeneration ?? 0) < generation)
    return "waiting for the controller to observe the new generation";
  const want = (o.spec?.replicas ?? 1) as number;
  switch (o.kind) {
    case "Deployment": {
      const progressing = ((status.conditions ?? []) as Condition[]).find((c) => c.type === "Progressing");
      if (progressing?.reason === "ProgressDeadlineExceeded")
        return `progress deadline exceeded: ${progressing.message ?? ""}`;
      const updated = status.updatedReplicas ?? 0;
      if (updated < want) return `${updated} of ${want} new replicas updated`;
      if ((status.replicas ?? 0) > updated)
        return `${(status.replicas ?? 0) - updated} old replicas pending termination`;
      if ((status.availableReplicas ?? 0) < updated)
        return `${status.availableReplicas ?? 0} of ${updated} updated replicas available`;
      return undefined;
    }
    case "StatefulSet": {
      if (o.spec?.updateStrategy?.type === "OnDelete") return undefined;
      if ((status.readyReplicas ?? 0) < want) return `${status.readyReplicas ?? 0} of ${want} pods ready`;
      const partition = o.spec?.updateStrategy?.rollingUpdate?.partition as number | undefined;
      if (partition) {
        const expected = want - partition;
        if ((status.updatedReplicas ?? 0) < expected)
          return `${status.updatedReplicas ?? 0} of ${expected} pods updated (partition ${partition})`;
        return undefined;
      }
      if (status.updateRevision !== status.currentRevision)
        return `${status.updatedReplicas ?? 0} of ${want} pods at the new revision`;
      return undefined;
    }
    case "DaemonSet": {
      const desired = status.desiredNumberScheduled ?? 0;
      if ((status.updatedNumberScheduled ?? 0) < desired)
        return `${status.updatedNumberScheduled ?? 0} of ${desired} pods updated`;
      if ((status.numberAvailable ?? 0) < desired)
        return `${status.numberAvailable ?? 0} of ${desired} updated pods available`;
      return undefined;
    }
    default:
      return undefined;
  }
}

export const rolloutsComplete: GateHandler<RolloutsCompleteGate> = {
  describe: (gate) =>
    `rollouts complete: ${gate.targets.map((t) => `${resourceOf(t)}/${t.name}`).join(", ")}`,
  verify: (gate) =>
    gate.targets.map((t) => `kubectl rollout status ${resourceOf(t)}/${t.name}${nsFlag(t)} --timeout=10m`),
  observe: (gate, ctx) =>
    watchEach(
      ctx,
      gate.targets,
      (t) => lookupKind(t.apiVersion, t.kind),
      rolloutPending,
      (t) => `rollout of ${resourceOf(t)}/${t.name}`,
      rolloutsComplete.describe(gate),
      "fail",
    ),
};
