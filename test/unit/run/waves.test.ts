import { describe, expect, it } from "vitest";
import { AmbientMigrateError, ExitCode } from "../../../src/errors.js";
import { runWaves, wavesExitCode } from "../../../src/run/waves.js";

const waves = [
  { wave: 1, namespaces: ["a", "b", "c"], why: [] },
  { wave: 2, namespaces: ["d"], why: [] },
  { wave: 3, namespaces: ["e"], why: [] },
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("runWaves", () => {
  it("runs waves in order, at most `parallel` namespaces of a wave at once, preparing each wave first", async () => {
    const log: string[] = [];
    let inFlight = 0;
    let most = 0;
    const runs = await runWaves(
      waves,
      { parallel: 2, signal: new AbortController().signal },
      async (wave) => {
        log.push(`prepare ${wave.wave}`);
        return wave.wave;
      },
      async (ns, prepared) => {
        inFlight++;
        most = Math.max(most, inFlight);
        log.push(`start ${ns}`);
        await sleep(10);
        log.push(`end ${ns}`);
        inFlight--;
        return `${ns}@${prepared}`;
      },
    );
    expect(most).toBe(2);
    expect(log.indexOf("prepare 2")).toBeGreaterThan(
      Math.max(log.indexOf("end a"), log.indexOf("end b"), log.indexOf("end c")),
    );
    expect(log.indexOf("start d")).toBeGreaterThan(log.indexOf("prepare 2"));
    expect(runs.map((r) => r.result)).toEqual(["a@1", "b@1", "c@1", "d@2", "e@3"]);
    expect(wavesExitCode(runs)).toBe(0);
  });

  it("finishes the failing wave but starts no later one; the exit code is the first failure's", async () => {
    const runs = await runWaves(
      waves,
      { parallel: 3, signal: new AbortController().signal },
      async () => undefined,
      async (ns) => {
        if (ns === "b") throw new AmbientMigrateError("gate failed", ExitCode.verificationFailed);
        return ns;
      },
    );
    expect(runs.map((r) => [r.namespace, r.result ?? r.error?.exitCode ?? "skipped"])).toEqual([
      ["a", "a"],
      ["b", 9],
      ["c", "c"],
      ["d", "skipped"],
      ["e", "skipped"],
    ]);
    expect(wavesExitCode(runs)).toBe(ExitCode.verificationFailed);
  });

  it("starts nothing more once interrupted", async () => {
    const controller = new AbortController();
    const runs = await runWaves(
      waves,
      { parallel: 1, signal: controller.signal },
      async () => undefined,
      async (ns) => {
        controller.abort();
        return ns;
      },
    );
    expect(runs.filter((r) => !r.skipped).map((r) => r.namespace)).toEqual(["a"]);
    expect(wavesExitCode(runs)).toBe(ExitCode.interrupted);
  });
});
