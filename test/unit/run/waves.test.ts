import { describe, expect, it } from "vitest";
import { AmbientMigrateError, ExitCode } from "../../../src/errors.js";
import { prefixed, runWaves, wavesExitCode } from "../../../src/run/waves.js";

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

/** A run whose namespaces finish only when the test releases them, recording what is in flight. */
function gatedRun() {
  const inFlight = new Set<string>();
  let maxInFlight = 0;
  const release = new Map<string, (fail?: Error) => void>();
  const started: string[] = [];
  const run = (namespace: string) =>
    new Promise<string>((resolve, reject) => {
      started.push(namespace);
      inFlight.add(namespace);
      maxInFlight = Math.max(maxInFlight, inFlight.size);
      release.set(namespace, (fail) => {
        inFlight.delete(namespace);
        if (fail) reject(fail);
        else resolve(`migrated ${namespace}`);
      });
    });
  const settle = () => new Promise((r) => setImmediate(r));
  return { run, release, started, maxInFlight: () => maxInFlight, settle };
}

// Without --waves, migrate --parallel N runs every namespace as one wave.
describe("runWaves, one wave (migrate --parallel N)", () => {
  const one = (namespaces: string[]) => [{ wave: 1, namespaces }];
  const never = new AbortController().signal;

  it("runs at most N namespaces at once, each as soon as a slot frees, outcomes in the given order", async () => {
    const g = gatedRun();
    const done = runWaves(
      one(["a", "b", "c", "d", "e"]),
      { parallel: 3, signal: never },
      async () => 0,
      g.run,
    );
    await g.settle();
    expect(g.started).toEqual(["a", "b", "c"]);
    g.release.get("b")?.();
    await g.settle();
    expect(g.started).toEqual(["a", "b", "c", "d"]);
    for (const ns of ["a", "c", "d"]) g.release.get(ns)?.();
    await g.settle();
    g.release.get("e")?.();
    const runs = await done;
    expect(g.maxInFlight()).toBe(3);
    expect(runs.map((r) => [r.namespace, r.result])).toEqual([
      ["a", "migrated a"],
      ["b", "migrated b"],
      ["c", "migrated c"],
      ["d", "migrated d"],
      ["e", "migrated e"],
    ]);
    expect(wavesExitCode(runs)).toBe(0);
  });

  it("a namespace that fails does not stop the others; the exit code is the first failure's, hints kept", async () => {
    const g = gatedRun();
    const done = runWaves(one(["a", "b", "c"]), { parallel: 3, signal: never }, async () => 0, g.run);
    await g.settle();
    g.release.get("c")?.(new AmbientMigrateError("lock held by someone", ExitCode.conflict, "wait for it"));
    g.release.get("b")?.(new AmbientMigrateError("step 4: pods kept sidecars", ExitCode.verificationFailed));
    g.release.get("a")?.();
    const runs = await done;
    expect(runs).toEqual([
      { namespace: "a", wave: 1, result: "migrated a" },
      {
        namespace: "b",
        wave: 1,
        error: { message: "step 4: pods kept sidecars", exitCode: ExitCode.verificationFailed },
      },
      {
        namespace: "c",
        wave: 1,
        error: { message: "lock held by someone", exitCode: ExitCode.conflict, hint: "wait for it" },
      },
    ]);
    expect(wavesExitCode(runs)).toBe(ExitCode.verificationFailed);
  });

  it("reports a bug in one namespace as an internal error (exit 1) without losing the others", async () => {
    const runs = await runWaves(
      one(["a", "b"]),
      { parallel: 2, signal: never },
      async () => 0,
      async (ns) => {
        if (ns === "a") throw new TypeError("boom");
        return ns;
      },
    );
    expect(runs[0]?.error?.exitCode).toBe(ExitCode.internal);
    expect(runs[0]?.error?.message).toMatch(/^internal error: TypeError: boom/);
    expect(runs[1]).toEqual({ namespace: "b", wave: 1, result: "b" });
    expect(wavesExitCode(runs)).toBe(ExitCode.internal);
  });

  it("starts no namespace after an interruption; the exit code is 130", async () => {
    const g = gatedRun();
    const stop = new AbortController();
    const done = runWaves(one(["a", "b", "c"]), { parallel: 2, signal: stop.signal }, async () => 0, g.run);
    await g.settle();
    stop.abort();
    g.release.get("a")?.(new AmbientMigrateError("interrupted during step 3 of a", ExitCode.interrupted));
    g.release.get("b")?.();
    const runs = await done;
    expect(g.started).toEqual(["a", "b"]);
    expect(runs[2]).toEqual({ namespace: "c", wave: 1, skipped: true });
    expect(wavesExitCode(runs)).toBe(ExitCode.interrupted);
  });
});

describe("prefixed", () => {
  it("names the namespace on every line, multi-line text included", () => {
    const lines: string[] = [];
    prefixed("shop", (l) => lines.push(l))("kubectl apply -f - <<'EOF'\nkind: HTTPRoute\nEOF");
    expect(lines).toEqual(["[shop] kubectl apply -f - <<'EOF'", "[shop] kind: HTTPRoute", "[shop] EOF"]);
  });
});
