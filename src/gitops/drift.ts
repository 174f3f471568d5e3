// What a plan would change on objects that Argo CD, Flux or Helm own: `migrate` refuses these
// changes (exit 2, the list) unless --allow-gitops-drift. Restarts are not drift: a restart stamp
// is not desired state, and no owner reverts it.

import type { Change } from "../changes/index.js";
import { describeRef, type ObjectRef, objectAt, refOf } from "../inventory/identity.js";
import type { Inventory } from "../inventory/model.js";
import type { NamespacePlan } from "../plan/model.js";
import { type GitopsOwner, gitopsCluster, gitopsOwners, revertBehaviour } from "./signals.js";

interface GitopsDrift {
  namespace: string;
  step: number;
  /** Kind/namespace/name. */
  object: string;
  owners: GitopsOwner[];
  /** What the change does, and what the owner then does. */
  change: string;
}

function targetOf(change: Change): { ref: ObjectRef; what: string; recreated: boolean } | undefined {
  switch (change.type) {
    case "label":
      return {
        ref: change.target,
        what:
          change.value === null
            ? `removes label ${change.key}${change.previous !== null ? `=${change.previous}` : ""}`
            : `sets label ${change.key}=${change.value}`,
        recreated: false,
      };
    case "template-metadata":
      return {
        ref: change.target,
        what: `removes ${change.key} from its pod template ${change.field}`,
        recreated: false,
      };
    case "delete":
      return { ref: change.target, what: "deletes it", recreated: true };
    case "apply":
      return change.created
        ? undefined
        : { ref: refOf(change.object), what: "replaces it", recreated: false };
    default:
      return undefined;
  }
}

/** Every change of the plans that touches an owned object, in plan order. */
export function gitopsDrift(inventory: Inventory, plans: readonly NamespacePlan[]): GitopsDrift[] {
  const cluster = gitopsCluster(inventory);
  const out: GitopsDrift[] = [];
  for (const plan of plans)
    for (const step of plan.steps)
      for (const change of step.changes) {
        const target = targetOf(change);
        if (!target) continue;
        const object = objectAt(inventory, target.ref);
        const owners = object ? gitopsOwners(object, cluster) : [];
        if (owners.length === 0) continue;
        const then = owners
          .map((o) => {
            const b = revertBehaviour(o.tool);
            return target.recreated ? b.recreates : b.reverts;
          })
          .join("; ");
        out.push({
          namespace: plan.namespace,
          step: step.step,
          object: describeRef(target.ref),
          owners,
          change: `step ${step.step} ${target.what}; ${then}`,
        });
      }
  return out;
}

/** One line per drifting change, for the refusal's details. */
export function describeDrift(d: GitopsDrift): string {
  return `${d.object} (${d.owners.map((o) => o.owner).join(", ")}): ${d.change}`;
}
