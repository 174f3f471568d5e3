// The registries are exhaustive by type: a change or gate type without a handler does not
// compile (tsc runs over the tests: the @ts-expect-error lines fail the typecheck if the error
// they expect goes away). At run time, a change the tool has no handler for is refused before
// anything is journalled as done.

import { describe, expect, it } from "vitest";
import { CHANGES, type Change, type ChangeRegistry, handlerOf } from "../../../src/changes/index.js";
import { GATES, type Gate, type GateRegistry } from "../../../src/gates/index.js";

describe("handler registries", () => {
  it("do not compile with a handler missing", () => {
    const { restart: _, ...withoutRestart } = CHANGES;
    // @ts-expect-error the restart handler is missing
    const changes: ChangeRegistry = withoutRestart;
    const { "no-sidecars": __, ...withoutNoSidecars } = GATES;
    // @ts-expect-error the no-sidecars handler is missing
    const gates: GateRegistry = withoutNoSidecars;
    expect(Object.keys(changes)).not.toContain("restart");
    expect(Object.keys(gates)).not.toContain("no-sidecars");
  });

  it("do not compile when a new variant has no handler", () => {
    type Scale = { type: "scale"; replicas: number };
    // @ts-expect-error Change | Scale needs a "scale" handler
    const changes: ChangeRegistry<Change | Scale> = CHANGES;
    type Quiet = { type: "quiet"; seconds: number };
    // @ts-expect-error Gate | Quiet needs a "quiet" handler
    const gates: GateRegistry<Gate | Quiet> = GATES;
    expect(changes).toBe(CHANGES);
    expect(gates).toBe(GATES);
  });

  it("refuse at run time a change type they do not know (a journal from another version)", () => {
    const unknown = { type: "scale", replicas: 2 } as unknown as Change;
    expect(() => handlerOf(unknown)).toThrow('unknown change type "scale": no handler');
  });
});
