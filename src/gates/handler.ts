// What a gate type must say and do, in one module per type (registered in index.ts).

import type { GateContext, GateOutcome } from "./observe.js";

export interface GateHandler<G extends { type: string }> {
  /** One line for progress and errors: what must hold. */
  describe(gate: G): string;
  /** The kubectl/istioctl lines a person runs to check it by hand (plan's "verify"). */
  verify(gate: G): string[];
  /** Observes the live cluster until the gate holds or ctx.timeoutMs passes. */
  observe(gate: G, ctx: GateContext): Promise<GateOutcome>;
}
