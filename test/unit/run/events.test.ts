// migrate's NDJSON events, from real runs of the executor on the fake cluster, validated against
// the published schema (docs/events.schema.json) with Ajv.

import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { CHANGES } from "../../../src/changes/index.js";
import { GATES } from "../../../src/gates/index.js";
import { eventLine, type RunEvent, type SummaryEvent } from "../../../src/run/events.js";
import { rollbackNamespace } from "../../../src/run/rollback.js";
import { runWaves, summaryRows, wavesExitCode } from "../../../src/run/waves.js";
import { failure, migrate, rollbackOptions } from "./helpers.js";
import { SimCluster } from "./sim.js";

const schema = JSON.parse(readFileSync(new URL("../../../docs/events.schema.json", import.meta.url), "utf8"));
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);
const REV = { "istio.io/rev": "1-27" };

/** The events as a consumer reads them: NDJSON lines parsed back, each checked against the schema. */
function parsed(events: RunEvent[]): RunEvent[] {
  const text = events.map(eventLine).join("");
  return text
    .trimEnd()
    .split("\n")
    .map((line) => {
      const event = JSON.parse(line) as RunEvent;
      if (!validate(event)) throw new Error(`${line}\n${ajv.errorsText(validate.errors)}`);
      return event;
    });
}

const key = (e: RunEvent) =>
  e.event === "step" || e.event === "gate" ? `${e.event} ${e.step} ${e.phase}` : `${e.event} ${e.phase}`;

describe("migrate events", () => {
  it("a full run: every step and gate started and passed, changes applied, journal written", async () => {
    const events: RunEvent[] = [];
    expect(await migrate(new SimCluster(REV), { events: (e) => events.push(e) })).toBe("migrated");
    const lines = parsed(events);
    expect(lines[0]).toMatchObject({ event: "namespace", phase: "started", namespace: "shop" });
    expect(lines.at(-1)).toMatchObject({ event: "namespace", phase: "passed", result: "migrated" });
    for (const step of [1, 2, 3, 4, 5, 6]) {
      const started = lines.findIndex((e) => key(e) === `step ${step} started`);
      const passed = lines.findIndex((e) => key(e) === `step ${step} passed`);
      expect(started).toBeGreaterThanOrEqual(0);
      expect(passed).toBeGreaterThan(started);
    }
    const gates = lines.filter((e) => e.event === "gate" && e.phase === "passed");
    expect(gates.map((g) => (g.event === "gate" ? g.gate : ""))).toEqual(
      expect.arrayContaining(["ztunnel-workloads", "injection-disabled", "rollouts-complete", "no-sidecars"]),
    );
    expect(lines.filter((e) => e.event === "gate" && e.phase === "started")).toHaveLength(
      lines.filter((e) => e.event === "gate" && e.phase === "passed").length,
    );
    const applied = lines.filter((e) => e.event === "change" && e.phase === "applied");
    expect(applied.map((c) => (c.event === "change" ? c.command : ""))).toContain(
      "kubectl label namespace shop istio.io/rev-",
    );
    expect(lines.some((e) => e.event === "journal" && e.status === "done")).toBe(true);
  });

  it("a gate that does not pass: gate failed with what it saw last, step and namespace failed", async () => {
    const sim = new SimCluster(REV);
    sim.ztunnelBroken = true;
    const events: RunEvent[] = [];
    await failure(migrate(sim, { events: (e) => events.push(e) }));
    const lines = parsed(events);
    const failed = lines.find((e) => e.event === "gate" && e.phase === "failed");
    expect(failed).toMatchObject({ step: 2, gate: "ztunnel-workloads" });
    expect(lines.some((e) => e.event === "gate" && e.phase === "waiting")).toBe(true);
    expect(lines.map(key)).toEqual(expect.arrayContaining(["step 2 failed", "namespace failed"]));
    expect(lines.at(-1)).toMatchObject({ event: "namespace", phase: "failed" });
    expect(lines.some((e) => e.event === "journal" && e.status === "failed")).toBe(true);
  });

  it("the summary, the last line of migrate --parallel/--waves: each namespace's outcome and the exit code", async () => {
    // Two real executor runs on their own clusters, one migrated and one whose gate fails.
    const waves = [
      { wave: 1, namespaces: ["a", "b"], why: ["a and b call nothing"] },
      { wave: 2, namespaces: ["c"], why: ["c is called by a"] },
    ];
    const runs = await runWaves(
      waves,
      { parallel: 2, signal: new AbortController().signal },
      async () => 0,
      (ns) => {
        const sim = new SimCluster(REV);
        sim.ztunnelBroken = ns === "b";
        return migrate(sim);
      },
    );
    const exitCode = wavesExitCode(runs);
    for (const withWaves of [true, false]) {
      const event: SummaryEvent = {
        time: new Date().toISOString(),
        event: "summary",
        phase: "finished",
        exitCode,
        namespaces: summaryRows(runs, withWaves),
        ...(withWaves ? { waves } : {}),
      };
      const line = JSON.parse(eventLine(event));
      expect(validate(line), ajv.errorsText(validate.errors)).toBe(true);
      expect(line.exitCode).toBe(9);
      expect(line.namespaces).toEqual([
        { namespace: "a", ...(withWaves ? { wave: 1 } : {}), result: "migrated" },
        {
          namespace: "b",
          ...(withWaves ? { wave: 1 } : {}),
          result: "failed",
          exitCode: 9,
          error: expect.stringMatching(/step 2/),
        },
        { namespace: "c", ...(withWaves ? { wave: 2 } : {}), result: "not started" },
      ]);
    }
    // Not a summary: no exit code; a namespace's event without its namespace.
    expect(
      validate({ time: "2026-01-01T00:00:00Z", event: "summary", phase: "finished", namespaces: [] }),
    ).toBe(false);
    expect(validate({ time: "2026-01-01T00:00:00Z", event: "namespace", phase: "started" })).toBe(false);
  });

  it("rollback: each recorded change undone, the journal written, the restarts' gate, the namespace rolled back", async () => {
    const sim = new SimCluster(REV);
    expect(await migrate(sim)).toBe("migrated");
    const events: RunEvent[] = [];
    const result = await rollbackNamespace(sim, "shop", rollbackOptions({ events: (e) => events.push(e) }));
    const lines = parsed(events);
    expect(lines[0]).toMatchObject({ event: "namespace", phase: "started", namespace: "shop" });
    expect(lines.at(-1)).toMatchObject({ event: "namespace", phase: "passed", result: "rolled-back" });
    const undone = lines.filter((e) => e.event === "change" && e.phase === "undone");
    expect(undone).toHaveLength(result.undone);
    expect(undone.map((c) => (c.event === "change" ? c.type : ""))).toContain("restart");
    expect(lines.map(key)).toEqual(expect.arrayContaining(["gate 4 started", "gate 4 passed"]));
    expect(lines.filter((e) => e.event === "journal").at(-1)).toMatchObject({
      status: "rolled-back",
      step: 0,
    });
  });

  it("the schema names every change type and gate type the registries know", () => {
    const enums: string[][] = [];
    JSON.stringify(schema, (key, value) => {
      if ((key === "type" || key === "gate") && Array.isArray(value?.enum)) enums.push(value.enum);
      return value;
    });
    expect(enums).toContainEqual(Object.keys(CHANGES));
    expect(enums).toContainEqual(Object.keys(GATES));
  });

  it("the schema rejects what is not an event", () => {
    expect(validate({ time: "2026-01-01T00:00:00Z", namespace: "a", event: "step", phase: "started" })).toBe(
      false,
    );
    expect(
      validate({
        time: "x",
        namespace: "a",
        event: "gate",
        phase: "done",
        step: 1,
        gate: "g",
        description: "",
      }),
    ).toBe(false);
  });
});
