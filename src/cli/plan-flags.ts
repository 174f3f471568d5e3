// The flags that shape a plan, declared once: `plan` and `migrate` take all of them, `translate`
// and `observability` the ones they use. Each maps to one field of PlanOptions.

import { type Command, Option } from "commander";
import type { PlanOptions } from "../plan/options.js";
import { stepNumber } from "../plan/steps.js";

type Flag = { option: () => Option; read: (flags: Record<string, unknown>) => Partial<PlanOptions> };

export const PLAN_FLAGS = {
  acceptTranslationLosses: {
    option: () =>
      new Option(
        "--accept-translation-losses",
        "migrate a namespace even when some VirtualService or policy cannot be translated faithfully; those sources are kept, and what their translation loses is not done after migration",
      ),
    read: (f) => (f.acceptTranslationLosses === true ? { acceptTranslationLosses: true } : {}),
  },
  bypassDeny: {
    option: () =>
      new Option(
        "--bypass-deny",
        `at the end of step ${stepNumber("restart")}, apply DENY policies so that only the waypoint (and callers still on sidecars) reach pods with L7 policies`,
      ),
    read: (f) => (f.bypassDeny === true ? { bypassDeny: true } : {}),
  },
  patchForcedInjection: {
    option: () =>
      new Option(
        "--patch-forced-injection",
        `in step ${stepNumber("remove-injection")}, also remove sidecar.istio.io/inject=true and istio.io/rev from pod templates that force injection on their own (Deployments, StatefulSets, DaemonSets, CronJobs); rollback puts them back`,
      ),
    read: (f) => (f.patchForcedInjection === true ? { patchForcedInjection: true } : {}),
  },
  skipRouteVerify: {
    option: () =>
      new Option(
        "--skip-route-verify",
        `do not record the sidecars' routes in step 1 nor prove, before step ${stepNumber("remove-sidecar-config")} deletes VirtualServices, that the waypoint routes every request as they did (the plan, stored in the journal, records the skip)`,
      ),
    read: (f) => (f.skipRouteVerify === true ? { skipRouteVerify: true } : {}),
  },
  rootNamespace: {
    option: () =>
      new Option(
        "--root-namespace <ns>",
        "Istio's root namespace, whose policies apply mesh-wide (default: the mesh config's rootNamespace, else istio-system)",
      ),
    read: (f) => (typeof f.rootNamespace === "string" ? { rootNamespace: f.rootNamespace } : {}),
  },
} satisfies Record<keyof PlanOptions, Flag>;

export type PlanFlagName = keyof typeof PLAN_FLAGS;

const ALL = Object.keys(PLAN_FLAGS) as PlanFlagName[];

/** Adds the plan flags (all of them unless named) to a command. */
export function withPlanFlags(command: Command, names: readonly PlanFlagName[] = ALL): Command {
  for (const name of names) command.addOption(PLAN_FLAGS[name].option());
  return command;
}

/** The plan options the command's flags give. */
export function planOptionsOf(flags: object): PlanOptions {
  return Object.assign({}, ...ALL.map((name) => PLAN_FLAGS[name].read(flags as Record<string, unknown>)));
}
