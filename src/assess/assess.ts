// assess: inventory -> findings. Pure: runs the mesh checks once and the namespace checks for
// each selected namespace, and sums them up per namespace.

import { byCodePoint, type Inventory } from "../inventory/model.js";
import type { NamespaceMode } from "../mesh/namespace-state.js";
import type { ObservedEdge } from "../waves/graph.js";
import { MeshContext, type WaypointFacts } from "./context.js";
import { type AssessedDisposition, assessedDispositions } from "./dispositions.js";
import { type Finding, SEVERITY_ORDER, type Severity } from "./finding.js";
import { MESH_CHECKS, NAMESPACE_CHECKS } from "./registry.js";

export interface NamespaceAssessment {
  namespace: string;
  state: { mode: NamespaceMode; summary: string; stepReached: number };
  /** Blocked by a finding of its own or by a mesh-wide blocker. */
  blocked: boolean;
  counts: Record<Severity, number>;
  waypoint: WaypointFacts;
  /** One per sidecar-era object a finding decides the fate of: delete once replaced, or keep. */
  dispositions: AssessedDisposition[];
}

export interface Assessment {
  findings: Finding[];
  namespaces: NamespaceAssessment[];
}

export interface AssessOptions {
  /** Traffic Prometheus observed between namespaces: more callers for the cross-namespace checks. */
  observed?: readonly ObservedEdge[];
  /** Istio's root namespace, as `--root-namespace` gives it; else the mesh config's. */
  rootNamespace?: string;
}

export function assess(
  inventory: Inventory,
  namespaces: readonly string[],
  options: AssessOptions = {},
): Assessment {
  const mesh = new MeshContext(inventory, options);
  const meshFindings = MESH_CHECKS.flatMap((check) => check(mesh));
  const meshBlocked = meshFindings.some((f) => f.severity === "blocker");
  const findings: Finding[] = [...meshFindings];
  const perNamespace: NamespaceAssessment[] = [];
  for (const namespace of namespaces) {
    const ctx = mesh.namespace(namespace);
    const own = NAMESPACE_CHECKS.flatMap((check) => check(ctx));
    findings.push(...own);
    const counts = { blocker: 0, warning: 0, info: 0 };
    for (const f of own) counts[f.severity]++;
    const { mode, summary, stepReached } = ctx.state();
    perNamespace.push({
      namespace,
      state: { mode, summary, stepReached },
      blocked: meshBlocked || counts.blocker > 0,
      counts,
      waypoint: ctx.waypoint(),
      dispositions: assessedDispositions(ctx, sortFindings([...own])),
    });
    ctx.forget();
  }
  return { findings: sortFindings(findings), namespaces: perNamespace };
}

function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      byCodePoint(a.namespace, b.namespace) ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      byCodePoint(a.code, b.code) ||
      byCodePoint(a.kind, b.kind) ||
      byCodePoint(a.name, b.name),
  );
}
