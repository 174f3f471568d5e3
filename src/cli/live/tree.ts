// The live tree a terminal shows while migrate or rollback runs: namespace → step → change or
// gate, each running one with a spinner and its elapsed time, each finished one with ✓ or ✗ and
// why. Built only from the run's events (the stream `-o json` prints), so the executor knows
// nothing of terminals. Pure: `event` returns the lines that are final (written once, kept in
// the scrollback), `render` the lines still changing; terminal.ts puts both on the screen.

import { PLAIN, type Style, uncoloured } from "../../color.js";
import type { RunEvent } from "../../run/events.js";

type State = "running" | "passed" | "failed" | "skipped";

interface Item {
  state: State;
  label: string;
  started: number;
  ended?: number;
  detail?: string;
  /** A gate: `key` matches its later events; a change has none (it is final when it arrives). */
  key?: string;
}

interface StepNode {
  step: number;
  title: string;
  state: State;
  started: number;
  ended?: number;
  items: Item[];
}

interface NamespaceNode {
  namespace: string;
  started: number;
  step?: StepNode;
  /** The run's last progress line, shown under the namespace while it runs. */
  note?: string;
}

/** A gate's detail without the description it repeats ("<description>: 6 request(s)" → "6 request(s)"). */
function news(detail: string, description: string): string | undefined {
  if (!detail.startsWith(description)) return detail;
  return detail.slice(description.length).replace(/^[\s:]+/, "") || undefined;
}

export const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** 850ms → 0.9s, 75s → 1m15s. */
export function elapsed(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
}

export interface TreeOptions {
  style?: Style;
  /** Several namespaces run at once (--parallel, --waves): each step line names its namespace. */
  concurrent?: boolean;
  /** The title of a step that events name without starting it (default: a finished step's gates checked again on resume). */
  stepTitle?: (step: number) => string;
}

export class RunTree {
  private readonly running = new Map<string, NamespaceNode>();
  private readonly style: Style;

  constructor(private readonly options: TreeOptions = {}) {
    this.style = options.style ?? PLAIN;
  }

  /** Takes one event; returns the lines that are now final, for the scrollback. */
  event(e: RunEvent): string[] {
    const at = Date.parse(e.time);
    const out: string[] = [];
    if (e.event === "namespace") {
      if (e.phase === "started") {
        this.running.set(e.namespace, { namespace: e.namespace, started: at });
        out.push(this.style.strong(`▸ ${e.namespace}`));
        return out;
      }
      const ns = this.node(e.namespace, at);
      if (ns.step) out.push(...this.closeStep(ns, e.phase === "passed" ? "passed" : "failed", at));
      this.running.delete(e.namespace);
      const took = this.style.faint(elapsed(at - ns.started));
      out.push(
        e.phase === "passed"
          ? `${this.style.ok("✓")} ${e.namespace}: ${e.result ?? "done"}  ${took}`
          : `${this.style.fail("✗")} ${e.namespace}: ${e.error ?? "failed"}  ${took}`,
      );
      return out;
    }
    if (e.event === "journal") return out;
    const ns = this.node(e.namespace, at);
    if (e.event === "step") {
      if (e.phase === "started") {
        out.push(...this.closeStep(ns, "passed", at));
        ns.step = { step: e.step, title: e.title, state: "running", started: at, items: [] };
      } else if (ns.step?.step === e.step) {
        ns.step.title = e.title;
        out.push(...this.closeStep(ns, e.phase, at));
      }
      return out;
    }
    // A gate checked again for a step finished earlier (a resumed run), or rollback's undos of a
    // step, open that step's node.
    if (ns.step?.step !== e.step) {
      out.push(...this.closeStep(ns, "passed", at));
      const title = this.options.stepTitle?.(e.step) ?? "gates checked again";
      ns.step = { step: e.step, title, state: "running", started: at, items: [] };
    }
    const step = ns.step;
    if (e.event === "change") {
      step.items.push({
        state: e.phase === "skipped" ? "skipped" : "passed",
        // A heredoc's first line names no object: the change's type and target do.
        label: `${e.phase} ${e.id}: ${e.command && !e.command.includes("<<") ? e.command : `${e.type} ${e.target}`}`,
        started: at,
        ended: at,
        ...(e.reason ? { detail: e.reason } : {}),
      });
      return out;
    }
    // A gate: started, waiting (its detail), passed or failed (what it saw last).
    const key = `${e.gate} ${e.description}`;
    let gate = step.items.findLast((i) => i.key === key && i.state === "running");
    if (!gate || e.phase === "started") {
      gate = { state: "running", label: `gate: ${e.description}`, started: at, key };
      step.items.push(gate);
    }
    if (e.detail) gate.detail = news(e.detail, e.description);
    if (e.phase === "passed" || e.phase === "failed") {
      // What it saw last, not what it waited for.
      gate.detail = e.detail ? news(e.detail, e.description) : undefined;
      gate.state = e.phase;
      gate.ended = e.elapsedMs !== undefined ? gate.started + e.elapsedMs : at;
    }
    return out;
  }

  /** The run's last progress line of a namespace (resuming, waiting on the analysis...). */
  progress(namespace: string, line: string): void {
    const ns = this.running.get(namespace);
    const text = uncoloured(line).trim();
    // The executor's own step, gate and passed lines are the tree's nodes already.
    if (ns && !/^(step \d+: |gate: |passed: )/.test(text)) ns.note = text;
  }

  /** What is still changing: each running namespace's open step, spinners at frame `frame`. */
  render(now: number, frame: number): string[] {
    const spin = this.style.warn(SPINNER[frame % SPINNER.length] ?? "-");
    const lines: string[] = [];
    for (const ns of this.running.values()) {
      if (ns.step) lines.push(...this.stepLines(ns, ns.step, now, spin));
      else lines.push(`  ${spin} ${ns.namespace}  ${this.style.faint(elapsed(now - ns.started))}`);
      if (ns.note) lines.push(`    ${this.style.faint(ns.note)}`);
    }
    return lines;
  }

  /** Everything still open, as final lines (the run stopped: an error, or Ctrl-C a second time). */
  finish(now: number): string[] {
    const out: string[] = [];
    for (const ns of this.running.values())
      if (ns.step) out.push(...this.stepLines(ns, ns.step, now, this.style.warn("…")));
    this.running.clear();
    return out;
  }

  private node(namespace: string, at: number): NamespaceNode {
    let ns = this.running.get(namespace);
    if (!ns) {
      ns = { namespace, started: at };
      this.running.set(namespace, ns);
    }
    return ns;
  }

  private closeStep(ns: NamespaceNode, state: State, at: number): string[] {
    const step = ns.step;
    if (!step) return [];
    step.state = state;
    step.ended = at;
    for (const item of step.items)
      if (item.state === "running") {
        item.state = state === "passed" ? "passed" : "failed";
        item.ended = at;
      }
    ns.step = undefined;
    ns.note = undefined;
    return this.stepLines(ns, step, at, "");
  }

  private mark(state: State, spin: string): string {
    if (state === "passed") return this.style.ok("✓");
    if (state === "failed") return this.style.fail("✗");
    if (state === "skipped") return this.style.faint("↷");
    return spin;
  }

  private stepLines(ns: NamespaceNode, step: StepNode, now: number, spin: string): string[] {
    const who = this.options.concurrent ? `${ns.namespace} › ` : "";
    const took = elapsed((step.ended ?? now) - step.started);
    const lines = [
      `  ${this.mark(step.state, spin)} ${this.style.strong(`${who}step ${step.step}: ${step.title}`)}  ${this.style.faint(took)}`,
    ];
    for (const item of step.items) {
      const time =
        item.key !== undefined ? `  ${this.style.faint(elapsed((item.ended ?? now) - item.started))}` : "";
      const why = item.detail ? this.style.faint(` — ${item.detail}`) : "";
      lines.push(`      ${this.mark(item.state, spin)} ${item.label}${time}${why}`);
    }
    return lines;
  }
}
