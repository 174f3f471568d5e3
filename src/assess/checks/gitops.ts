// Namespaces and objects that Argo CD, Flux or Helm own (gitops/signals.ts): the migration's
// changes to them drift from Git, and the owner puts them back: the injection label returns
// (sidecars with it), deleted sidecar-era config is re-created, patched pod templates revert.

import { type GitopsOwner, gitopsOwners, revertBehaviour } from "../../gitops/signals.js";
import { K } from "../../inventory/kinds.js";
import type { KubeObject } from "../../inventory/model.js";
import { injectionLabels } from "../../mesh/injection.js";
import { L } from "../../mesh/labels.js";
import type { NamespaceCheck } from "../check.js";
import type { NamespaceContext } from "../context.js";
import type { Finding } from "../finding.js";

/** The sidecar-era kinds step 5 may delete. */
const DELETED_KINDS = [
  K.VirtualService,
  K.DestinationRule,
  K.AuthorizationPolicy,
  K.RequestAuthentication,
  K.WasmPlugin,
] as const;

const REMEDY =
  "make the change in Git instead: `ambient-migrate plan --output-dir DIR` writes each step as files to commit " +
  "(then `ambient-migrate migrate --verify-only -n NS --step N` after each sync); or suspend the owner's sync " +
  "(Argo CD: turn off automated sync/self-heal; Flux: flux suspend) and run migrate with --allow-gitops-drift";

function owned(ctx: NamespaceContext, object: KubeObject): GitopsOwner[] {
  return gitopsOwners(object, ctx.mesh.gitops());
}

function namesOf(owners: GitopsOwner[]): string {
  return owners.map((o) => `${o.owner} (${o.signal})`).join(" and ");
}

function namespaceMessage(ctx: NamespaceContext, owners: GitopsOwner[]): string {
  const removed = injectionLabels(ctx.labels).map((l) => `${l.label}=${l.value}`);
  const reverts = owners.map((o) => revertBehaviour(o.tool).reverts).join("; ");
  const parts = [`namespace ${ctx.namespace} is managed by ${namesOf(owners)}`];
  if (removed.length > 0)
    parts.push(
      `step 3 removes ${removed.join(", ")}, and ${reverts}: the injector selects the namespace again and pods restarted after that get sidecars back`,
    );
  parts.push(
    `the labels steps 1 and 2 add (${L.useWaypoint}, ${L.dataplaneMode}=ambient) are not in Git: a namespace re-created from Git is no longer ambient`,
  );
  return parts.join("; ");
}

export const gitopsManaged: NamespaceCheck = (ctx) => {
  const out: Finding[] = [];
  const ns = ctx.namespaceObject;
  const nsOwners = ns ? owned(ctx, ns) : [];
  if (ns && nsOwners.length > 0)
    out.push(ctx.finding("gitops-managed", ns, namespaceMessage(ctx, nsOwners), REMEDY));
  for (const kind of DELETED_KINDS)
    for (const object of ctx.list(kind)) {
      const owners = owned(ctx, object);
      if (owners.length === 0) continue;
      const recreates = owners.map((o) => revertBehaviour(o.tool).recreates).join("; ");
      out.push(
        ctx.finding(
          "gitops-managed",
          object,
          `${object.kind} ${object.metadata.name} is managed by ${namesOf(owners)}: when step 5 deletes it (the plan lists what it deletes), ${recreates}, and its sidecar-era configuration applies again`,
          REMEDY,
        ),
      );
    }
  for (const { workload, sidecar } of ctx.workloads()) {
    const owners = owned(ctx, workload.object);
    if (owners.length === 0 || !sidecar.forcedBy) continue;
    const reverts = owners.map((o) => revertBehaviour(o.tool).reverts).join("; ");
    out.push(
      ctx.finding(
        "gitops-managed",
        workload.object,
        `${workload.kind} ${workload.name} is managed by ${namesOf(owners)}: --patch-forced-injection removes ${sidecar.forcedBy} from its pod template in step 3, and ${reverts}: its pods get sidecars again`,
        REMEDY,
      ),
    );
  }
  return out;
};
