// Migration waves: callers before the namespaces they call, so that no client is left on its
// sidecar in front of a waypoint it would skip (istio/istio#51445); a sidecar server still
// enforces its own L7 policies on an ambient caller. Namespaces that call each other (a strongly
// connected component) cannot be ordered and move in one wave. Every wave says why it is there.

import { byCodePoint } from "../inventory/model.js";
import type { CallEdge, CallGraph } from "./graph.js";

export interface Wave {
  wave: number;
  namespaces: string[];
  why: string[];
}

/** Tarjan's strongly connected components over `nodes`, in reverse topological order. */
function components(nodes: readonly string[], next: (n: string) => string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  // Iterative, so that long call chains do not exhaust the JS stack.
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { node: string; edges: string[]; i: number }[] = [];
    const enter = (node: string) => {
      index.set(node, counter);
      low.set(node, counter++);
      stack.push(node);
      onStack.add(node);
      work.push({ node, edges: next(node), i: 0 });
    };
    enter(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.i < frame.edges.length) {
        const to = frame.edges[frame.i++]!;
        if (!index.has(to)) enter(to);
        else if (onStack.has(to)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const scc: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          scc.push(member);
        } while (member !== frame.node);
        out.push(scc.sort());
      }
    }
  }
  return out;
}

const evidence = (e: CallEdge) =>
  e.evidence[0] + (e.evidence.length > 1 ? ` (+${e.evidence.length - 1} more)` : "");

/**
 * Orders `namespaces` (those the plan migrates) into waves. `staying`: other namespaces that keep
 * their sidecars for now (blocked, or not in this plan), whose calls are worth a word.
 */
export function planWaves(
  graph: CallGraph,
  namespaces: readonly string[],
  staying: ReadonlySet<string> = new Set(),
): Wave[] {
  const planned = new Set(namespaces);
  const sorted = [...planned].sort();
  const edges = graph.all();
  const out = new Map<string, CallEdge[]>();
  const into = new Map<string, CallEdge[]>();
  for (const e of edges) {
    if (!planned.has(e.to)) continue;
    if (planned.has(e.from)) out.set(e.from, [...(out.get(e.from) ?? []), e]);
    into.set(e.to, [...(into.get(e.to) ?? []), e]);
  }
  const sccs = components(sorted, (n) => (out.get(n) ?? []).map((e) => e.to)).reverse();
  const sccOf = new Map<string, number>();
  sccs.forEach((scc, i) => {
    for (const n of scc) sccOf.set(n, i);
  });
  // Topological order (callers first): a component's wave follows its latest caller's.
  const waveOf: number[] = [];
  const why = new Map<number, string[]>();
  sccs.forEach((scc, i) => {
    let wave = 1;
    const reasons: string[] = [];
    if (scc.length > 1) {
      const inside = edges.filter((e) => scc.includes(e.from) && scc.includes(e.to));
      reasons.push(
        `${scc.join(", ")} call each other, so they move together: ${inside.map((e) => `${e.from} -> ${e.to} (${evidence(e)})`).join("; ")}`,
      );
    }
    for (const n of scc) {
      const callers = (into.get(n) ?? []).filter((e) => sccOf.get(e.from) !== i);
      const plannedCallers = callers.filter((e) => planned.has(e.from));
      for (const e of plannedCallers) {
        const callerWave = waveOf[sccOf.get(e.from)!]!;
        wave = Math.max(wave, callerWave + 1);
        reasons.push(`${n} after its caller ${e.from} (wave ${callerWave}): ${evidence(e)}`);
      }
      for (const e of callers.filter((c) => staying.has(c.from)))
        reasons.push(
          `${n} is also called by ${e.from}, which keeps its sidecars for now: its requests skip ${n}'s waypoint until it migrates (${evidence(e)})`,
        );
      if (plannedCallers.length === 0 && scc.length === 1)
        reasons.push(
          (out.get(n) ?? []).length > 0
            ? `${n}: no namespace of the plan calls it; it calls ${(out.get(n) ?? []).map((e) => e.to).join(", ")}, which follow`
            : `${n}: no namespace of the plan calls it or is called by it`,
        );
    }
    waveOf[i] = wave;
    why.set(i, reasons);
  });
  const waves = new Map<number, Wave>();
  const byName = sccs.map((_, i) => i).sort((a, b) => byCodePoint(sccs[a]![0]!, sccs[b]![0]!));
  for (const i of byName) {
    const scc = sccs[i]!;
    const n = waveOf[i]!;
    const wave = waves.get(n) ?? { wave: n, namespaces: [], why: [] };
    wave.namespaces.push(...scc);
    wave.why.push(...(why.get(i) ?? []));
    waves.set(n, wave);
  }
  return [...waves.values()]
    .sort((a, b) => a.wave - b.wave)
    .map((w) => ({ ...w, namespaces: w.namespaces.sort() }));
}
