import { describe, expect, it } from "vitest";
import { runWaves } from "../../../src/run/waves.js";

const waves = [
  { wave: 1, namespaces: ["a", "b"], why: [] },
  { wave: 2, namespaces: ["c"], why: [] },
  { wave: 3, namespaces: ["d"], why: [] },
];

describe("runWaves", () => {
  it("runs the waves in order, each only after the previous one finished", async () => {
    const log: string[] = [];
    const result = await runWaves(
      waves,
      async (wave) => {
        log.push(`start ${wave.wave}`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`end ${wave.wave}`);
        return wave.namespaces.map((namespace) => ({ namespace, ok: true }));
      },
      (o) => !o.ok,
      new AbortController().signal,
    );
    expect(log).toEqual(["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
    expect(result.map((w) => w.outcomes.map((o) => o.namespace))).toEqual([["a", "b"], ["c"], ["d"]]);
  });

  it("stops after a wave with a failure: the later waves are not run", async () => {
    const ran: number[] = [];
    const result = await runWaves(
      waves,
      async (wave) => {
        ran.push(wave.wave);
        return wave.namespaces.map((namespace) => ({ namespace, ok: namespace !== "c" }));
      },
      (o) => !o.ok,
      new AbortController().signal,
    );
    expect(ran).toEqual([1, 2]);
    expect(result[2]).toEqual({ wave: 3, namespaces: ["d"], outcomes: [] });
  });

  it("starts no wave once interrupted", async () => {
    const controller = new AbortController();
    const ran: number[] = [];
    await runWaves(
      waves,
      async (wave) => {
        ran.push(wave.wave);
        controller.abort();
        return [];
      },
      () => false,
      controller.signal,
    );
    expect(ran).toEqual([1]);
  });
});
