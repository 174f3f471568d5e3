// Objects that fail their kind's schema (inventory/validate.ts) are kept out of every other
// check, of translation and of deletion; each blocks its namespace until it is fixed, since
// the plan cannot say what it would do to the namespace without reading it.

import { type InvalidEntry, invalidNamespace } from "../../inventory/model.js";
import { describeProblems } from "../../inventory/validate.js";
import type { MeshCheck, NamespaceCheck } from "../check.js";
import type { Finding } from "../finding.js";

const REMEDY =
  "fix the object (kubectl apply --dry-run=server shows what the cluster says about it), then assess again";

export const invalidObjects: NamespaceCheck = (ctx) =>
  ctx.mesh.inventory.invalid
    .filter((e) => invalidNamespace(e.object) === ctx.namespace)
    .map((e) => invalidFinding(e, "namespace", ctx.namespace));

/** Cluster-scoped invalid objects (a GatewayClass...) concern every namespace. */
export const invalidClusterObjects: MeshCheck = (mesh) =>
  mesh.inventory.invalid
    .filter((e) => invalidNamespace(e.object) === "")
    .map((e) => invalidFinding(e, "mesh", ""));

function invalidFinding(entry: InvalidEntry, scope: Finding["scope"], namespace: string): Finding {
  const { object, origin, problems } = entry;
  const where = origin ? `${origin.file}:${origin.line}` : undefined;
  return {
    code: "invalid-object",
    severity: "blocker",
    scope,
    namespace,
    kind: String(object.kind),
    apiVersion: String(object.apiVersion),
    name: String(object.metadata?.name ?? ""),
    message: `${object.kind} ${String(object.metadata?.name ?? "")} does not match its schema (${describeProblems(problems)}): it is not translated and never deleted`,
    remedy: REMEDY,
    ...(where ? { origin: where } : {}),
  };
}
