// What migrate and rollback share on the terminal: the live tree when there is one (lines that
// stay go above it), else plain lines; the run's events to NDJSON, the log and the tree; each
// namespace's progress under it in the tree, or as a line.

import type { EventSink, RunEvent } from "../../run/events.js";
import { eventLine } from "../../run/events.js";
import { changeLine, type RunLog } from "../run-log.js";
import type { Writer } from "../streams.js";
import type { LiveTree } from "./terminal.js";

export class RunScreen {
  private tree: LiveTree | undefined;

  constructor(private readonly screen: (line: string) => void) {}

  /** A line that stays: above the tree while it is drawn. */
  readonly show = (line: string): void => (this.tree ? this.tree.line(line) : this.screen(line));

  /** Persists the tree and gives the terminal back (before a table or an error is printed). */
  readonly stop = (): void => {
    this.tree?.stop();
    this.tree = undefined;
  };

  get live(): boolean {
    return this.tree !== undefined;
  }

  /** Draws the run with `tree` from now on (after any question on the terminal). */
  draw(tree: LiveTree | undefined): void {
    this.tree = tree;
  }

  start(): void {
    this.tree?.start();
  }

  /** The run's events: NDJSON on `json` (-o json), every one in the log, then the tree, or one line per change when `terse`. */
  events(options: { json?: Writer; log?: RunLog; terse: boolean; say: (line: string) => void }): EventSink {
    return (e: RunEvent) => {
      options.json?.write(eventLine(e));
      options.log?.event(e);
      if (this.tree) this.tree.event(e);
      else if (options.terse) {
        const line = changeLine(e);
        if (line) options.say(line);
      }
    };
  }

  /** A namespace's progress: its last line under it in the tree (all of them in the log), else `say`. */
  progress(namespace: string, say: (line: string) => void, log: RunLog | undefined): (line: string) => void {
    const tree = this.tree;
    if (!tree) return say;
    return (line) => {
      tree.progress(namespace, line);
      log?.write("progress", line);
    };
  }
}
