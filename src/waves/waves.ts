// Waves for a plan: the namespaces the plan migrates, ordered by the call graph, and the text
// people read. The plan's JSON gains `waves`; each wave lists its namespaces and why.

import { MeshContext } from "../assess/context.js";
import type { Inventory } from "../inventory/model.js";
import type { Plan } from "../plan/model.js";
import { PrometheusClient, type PrometheusConnection } from "../prometheus/client.js";
import type { ObservedEdge } from "./graph.js";
import { observedEdges } from "./observed.js";
import { planWaves, type Wave } from "./order.js";

export type { Wave } from "./order.js";

/** The namespaces of the plan that will move: not blocked, with steps left. */
function migratingNamespaces(plan: Plan): string[] {
  return plan.namespaces.filter((p) => !p.blocked && p.steps.length > 0).map((p) => p.namespace);
}

export function wavesOf(inventory: Inventory, plan: Plan, observed: readonly ObservedEdge[] = []): Wave[] {
  const mesh = new MeshContext(inventory, { observed });
  const moving = migratingNamespaces(plan);
  const staying = new Set([...mesh.sidecarNamespaces()].filter((ns) => !moving.includes(ns)));
  return planWaves(mesh.callGraph(), moving, staying);
}

export function renderWaves(waves: readonly Wave[]): string {
  if (waves.length === 0) return "Waves: no namespace of the plan has steps left\n\n";
  const out = ["Waves (callers before the namespaces they call; one wave's namespaces may move together):"];
  for (const w of waves) {
    out.push(`  wave ${w.wave}: ${w.namespaces.join(", ")}`);
    for (const why of w.why) out.push(`    - ${why}`);
  }
  return `${out.join("\n")}\n\n`;
}

interface TrafficSource {
  /** Prometheus (--prometheus and its --prometheus-* flags). */
  prometheus?: PrometheusConnection | undefined;
  /** How far back to look (--window, a Prometheus duration). */
  window: string;
}

/** Observed traffic when --prometheus is given; nothing otherwise. */
export async function observedTraffic(
  source: TrafficSource,
  note: (line: string) => void,
): Promise<ObservedEdge[]> {
  if (!source.prometheus) return [];
  const client = PrometheusClient.connect(source.prometheus);
  const edges = await observedEdges(client, source.window);
  note(
    `Prometheus ${client.url}: ${edges.length} calling namespace pair(s) observed in the last ${source.window}`,
  );
  return edges;
}
