// withInterruption: stdout's reader going away (`migrate ... | head`) stops a run as the first
// Ctrl-C does, and the journal is told which of the two it was.

import { describe, expect, it } from "vitest";
import { interruptedBy, withInterruption } from "../../../src/run/session.js";

const epipe = () => Object.assign(new Error("write EPIPE"), { code: "EPIPE" });

describe("withInterruption", () => {
  it("aborts the run's signal once when stdout's reader goes away, and removes its listener after", async () => {
    const listeners = process.stdout.listenerCount("error");
    const notes: string[] = [];
    const seen = await withInterruption(
      (line) => notes.push(line),
      async (signal) => {
        expect(signal.aborted).toBe(false);
        process.stdout.emit("error", epipe());
        process.stdout.emit("error", epipe()); // each later write fails too: said once
        return { aborted: signal.aborted, why: interruptedBy(signal) };
      },
    );
    expect(seen).toEqual({ aborted: true, why: "interrupted: stdout was closed by its reader" });
    expect(notes).toEqual([
      "stdout was closed: finishing the current change, recording it in the journal and releasing the lock",
    ]);
    expect(process.stdout.listenerCount("error")).toBe(listeners);
  });

  it("names a signal as a signal", () => {
    const controller = new AbortController();
    controller.abort(new Error("SIGINT"));
    expect(interruptedBy(controller.signal)).toBe("interrupted by a signal");
  });
});
