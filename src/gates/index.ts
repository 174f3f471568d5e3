// The gates a plan observes: one module per gate type (its description, its kubectl check and
// its observation of the live cluster), registered here. The registry's type lists every member
// of Gate, so a gate type without a handler does not compile.
// To add a gate: write its module (type + handler), add the type to Gate and the handler to GATES.

import type { BackupVerifiedGate } from "./backup-verified.js";
import { backupVerified } from "./backup-verified.js";
import type { GateHandler } from "./handler.js";
import { type InjectionDisabledGate, injectionDisabled } from "./injection-disabled.js";
import { type NoSidecarsGate, noSidecars } from "./no-sidecars.js";
import type { GateContext, GateOutcome } from "./observe.js";
import { type PodsRedirectedGate, podsRedirected } from "./pods-redirected.js";
import { type PoliciesAcceptedGate, policiesAccepted } from "./policies-accepted.js";
import { type RolloutsCompleteGate, rolloutsComplete } from "./rollouts-complete.js";
import { type RoutesEquivalentGate, routesEquivalent } from "./routes-equivalent.js";
import { type WaypointProgrammedGate, waypointProgrammed } from "./waypoint-programmed.js";
import { type ZtunnelWorkloadsGate, ztunnelWorkloads } from "./ztunnel-workloads.js";

export type { GateContext, GateOutcome } from "./observe.js";

export type Gate =
  | WaypointProgrammedGate
  | ZtunnelWorkloadsGate
  | InjectionDisabledGate
  | RolloutsCompleteGate
  | BackupVerifiedGate
  | NoSidecarsGate
  | PodsRedirectedGate
  | PoliciesAcceptedGate
  | RoutesEquivalentGate;

/** One handler per member of the union U, keyed by its type: a missing one is a type error. */
export type GateRegistry<U extends { type: string } = Gate> = {
  [T in U["type"]]: GateHandler<Extract<U, { type: T }>>;
};

export const GATES: GateRegistry = {
  "waypoint-programmed": waypointProgrammed,
  "ztunnel-workloads": ztunnelWorkloads,
  "injection-disabled": injectionDisabled,
  "rollouts-complete": rolloutsComplete,
  "backup-verified": backupVerified,
  "no-sidecars": noSidecars,
  "pods-redirected": podsRedirected,
  "policies-accepted": policiesAccepted,
  "routes-equivalent": routesEquivalent,
};

function handlerOf<G extends Gate>(gate: G): GateHandler<G> {
  const handler = (GATES as Record<string, GateHandler<G> | undefined>)[gate.type];
  // Only reachable with a gate read from a journal written by another version of the tool.
  if (!handler) throw new Error(`unknown gate type ${JSON.stringify(gate.type)}`);
  return handler;
}

export function describeGate(gate: Gate): string {
  return handlerOf(gate).describe(gate);
}

/** The kubectl/istioctl lines that check the gate by hand. */
export function gateVerify(gate: Gate): string[] {
  return handlerOf(gate).verify(gate);
}

export function observeGate(gate: Gate, ctx: GateContext): Promise<GateOutcome> {
  return handlerOf(gate).observe(gate, ctx);
}
