// Puts a live tree (tree.ts, apply-tree.ts) on a terminal: log-update redraws the changing lines in place
// (cursor movement and clipping to the terminal's height are its job, not ours) and persists the
// final ones above them, so the scrollback keeps every step, change and gate, whole.

import cliTruncate from "cli-truncate";
import { createLogUpdate } from "log-update";
import type { Style } from "../../color.js";
import type { RunEvent } from "../../run/events.js";
import type { IOStreams, Writer } from "../streams.js";
import { RunTree } from "./tree.js";

/**
 * The changing lines cut to the terminal's width with an ellipsis, one row each: a wrapped line's
 * rows are counted by log-update's idea of each symbol's width, and where the terminal's differs
 * (or it reflows on a resize) a redraw moves up too few rows and leaves torn copies of the tree.
 */
export function fitWidth(lines: readonly string[], columns: number | undefined): string[] {
  if (!columns || columns < 1) return [...lines];
  return lines.map((line) => cliTruncate(line, columns, { position: "end" }));
}

/** Whether a run shows the live tree: stderr is a terminal that can move its cursor, and NDJSON is not headed for the same terminal. */
export function liveTreeWanted(io: IOStreams, output: string): boolean {
  const env = io.env ?? process.env;
  if (io.err.isTTY !== true || env.TERM === "dumb") return false;
  return !(output === "json" && io.out.isTTY === true);
}

/** What a live view draws: pure, events in, lines out (tree.ts for runs, apply-tree.ts for observability --apply). */
export interface TreeModel<E> {
  /** Takes one event; returns the lines that are now final, for the scrollback. */
  event(e: E): string[];
  /** What is still changing, spinners at frame `frame`. */
  render(now: number, frame: number): string[];
  /** Everything still open, as final lines. */
  finish(now: number): string[];
}

export class LiveView<E> {
  private readonly update: ReturnType<typeof createLogUpdate>;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;

  constructor(
    private readonly stream: Writer,
    private readonly model: TreeModel<E>,
    private readonly now: () => number = Date.now,
  ) {
    this.update = createLogUpdate(stream as NodeJS.WriteStream, { showCursor: false });
  }

  /** Starts the spinners (after any question on the terminal has been answered). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.frame++;
      this.draw();
    }, 100);
    // The spinner alone never keeps the process alive.
    this.timer.unref();
    this.draw();
  }

  event(e: E): void {
    const final = this.model.event(e);
    if (final.length > 0) this.update.persist(final.join("\n"));
    this.draw();
  }

  /** A line that stays (an interruption, a wave starting, a failure). */
  line(text: string): void {
    this.update.persist(text);
    this.draw();
  }

  /** Persists what is still open and gives the terminal back (idempotent). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const rest = this.model.finish(this.now());
    this.update.clear();
    if (rest.length > 0) this.update.persist(rest.join("\n"));
    this.update.done();
  }

  protected draw(): void {
    if (!this.timer) return;
    const lines = fitWidth(this.model.render(this.now(), this.frame), this.stream.columns);
    if (lines.length > 0) this.update(lines.join("\n"));
    else this.update.clear();
  }
}

/** migrate's and rollback's tree: namespace, step, change, gate. */
export class LiveTree extends LiveView<RunEvent> {
  private readonly tree: RunTree;

  constructor(
    stream: Writer,
    style: Style,
    concurrent: boolean,
    stepTitle?: (step: number) => string,
    now: () => number = Date.now,
  ) {
    const tree = new RunTree({ style, concurrent, ...(stepTitle ? { stepTitle } : {}) });
    super(stream, tree, now);
    this.tree = tree;
  }

  /** A run's progress line: shown under its namespace until the next one. */
  progress(namespace: string, line: string): void {
    this.tree.progress(namespace, line);
    this.draw();
  }
}
