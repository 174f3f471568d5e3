// Pieces of the kubectl lines that several gates print.

import type { ObjectRef } from "../inventory/identity.js";

/** Drops the lines of pods of workloads the gate leaves out (they start with the workload's name). */
export function exceptFilter(except: readonly ObjectRef[]): string {
  return except.length === 0 ? "" : ` | grep -v ${except.map((e) => `-e '^${e.name}'`).join(" ")}`;
}
