// The live tree of `observability --apply`: the run, its backup and each object's server-side
// apply, the running one with a spinner and its elapsed time, each finished one with ✓ or ✗ and
// why. Pure, like tree.ts: built only from the events `-o json` streams (observability/apply.ts).

import { PLAIN, type Style } from "../../color.js";
import type { ApplyEvent } from "../../observability/apply.js";
import type { TreeModel } from "./terminal.js";
import { elapsed, SPINNER } from "./tree.js";

interface Open {
  label: string;
  started: number;
}

const DONE = { none: "changed", server: "accepted by the apiserver (dry run)", client: "printed (dry run)" };

export class ApplyTree implements TreeModel<ApplyEvent> {
  private run: (Open & { done: string }) | undefined;
  /** The backup or the object being applied (one at a time), by its label. */
  private current: Open | undefined;

  constructor(private readonly style: Style = PLAIN) {}

  event(e: ApplyEvent): string[] {
    const at = Date.parse(e.time);
    const s = this.style;
    if (e.event === "observability") {
      if (e.phase === "started") {
        this.run = { label: "observability --apply", started: at, done: DONE[e.dryRun] };
        const dry = e.dryRun === "none" ? "" : ` (dry run: ${e.dryRun})`;
        const where = e.namespaces.length > 0 ? ` in ${e.namespaces.join(", ")}` : "";
        return [s.strong(`▸ observability --apply: ${e.changes} object(s) to change${where}${dry}`)];
      }
      const took = s.faint(elapsed(at - (this.run?.started ?? at)));
      const done = this.run?.done ?? DONE.none;
      const out = this.finish(at);
      this.run = undefined;
      out.push(
        e.phase === "passed"
          ? `${s.ok("✓")} observability: ${e.applied} object(s) ${done}${e.backup ? `; backup ${e.backup}` : ""}  ${took}`
          : `${s.fail("✗")} observability: ${e.error}  ${took}`,
      );
      return out;
    }
    const label =
      e.event === "backup"
        ? `backup of ${e.objects} object(s)` // its path is on the run's last line
        : `${e.action} ${e.object}${s.faint(` — ${e.why}`)}`;
    if (e.phase === "started") {
      this.current = { label, started: at };
      return [];
    }
    const took = s.faint(elapsed(at - (this.current?.started ?? at)));
    this.current = undefined;
    if (e.phase === "failed") return [`  ${s.fail("✗")} ${label}  ${took}${s.faint(` — ${e.error}`)}`];
    const result = e.event === "apply" && e.result !== "applied" ? s.faint(` (${e.result})`) : "";
    const verified = e.event === "backup" ? s.faint(" — written, read back and verified") : "";
    return [`  ${s.ok("✓")} ${label}${result}${verified}  ${took}`];
  }

  render(now: number, frame: number): string[] {
    if (!this.run) return [];
    const spin = this.style.warn(SPINNER[frame % SPINNER.length] ?? "-");
    const open = this.current ?? this.run;
    return [`  ${spin} ${open.label}  ${this.style.faint(elapsed(now - open.started))}`];
  }

  finish(now: number): string[] {
    const open = this.current;
    this.current = undefined;
    return open
      ? [`  ${this.style.warn("…")} ${open.label}  ${this.style.faint(elapsed(now - open.started))}`]
      : [];
  }
}
