// `status --watch`: the status table kept current from watches (watched-inventory.ts). On a
// terminal the table is redrawn in place (log-update); elsewhere, as `kubectl get -w` does, the
// table is printed once and then each namespace's row again whenever it changes; -o json prints
// one line per namespace status that changed (NDJSON). Ctrl-C stops the watches and exits 0.

import { createLogUpdate } from "log-update";
import { AmbientMigrateError, ExitCode } from "../../errors.js";
import type { Inventory } from "../../inventory/model.js";
import {
  type ClusterNamespaceStatus,
  namespaceStatuses,
  renderStatus,
  STATUS_READ,
} from "../actions/status.js";
import { clusterPortFor } from "../cluster-loader.js";
import { type GlobalOptions, selectNamespaces } from "../context.js";
import type { IOStreams } from "../streams.js";
import { watchInventory } from "./watched-inventory.js";

/** The namespaces to show now: those named that exist, else what -l / all selects (new ones appear). */
function shown(inventory: Inventory, options: GlobalOptions): string[] {
  if (options.namespace.length > 0) {
    const known = new Set(inventory.namespaceNames());
    return options.namespace.filter((n) => known.has(n));
  }
  return selectNamespaces(inventory, { ...options, allNamespaces: true }, () => {});
}

export async function watchStatus(
  io: IOStreams,
  options: GlobalOptions,
  note: (line: string) => void,
): Promise<void> {
  if (options.filename.length > 0)
    throw new AmbientMigrateError("--watch reads a live cluster, not files", ExitCode.usage, "drop -f");
  if (options.output === "yaml")
    throw new AmbientMigrateError("--watch prints a table or -o json (one line per change)", ExitCode.usage);
  const port = await clusterPortFor(options, note);
  const live = options.output === "table" && io.out.isTTY === true;
  const screen = live ? createLogUpdate(io.out as NodeJS.WriteStream) : undefined;
  const rows = new Map<string, string>();
  let first = true;

  const draw = (inventory: Inventory) => {
    const statuses: ClusterNamespaceStatus[] = namespaceStatuses(inventory, shown(inventory, options));
    if (screen) {
      const time = new Date().toISOString().slice(11, 19);
      screen(`${renderStatus(statuses)}\nwatching ${port.context}, updated ${time} (Ctrl-C to stop)`);
      return;
    }
    // Off a terminal: only what changed, so that each line is news to whatever reads it.
    const changed = statuses.filter((s) => rows.get(s.namespace) !== JSON.stringify(s));
    for (const s of statuses) rows.set(s.namespace, JSON.stringify(s));
    if (changed.length === 0) return;
    if (options.output === "json") {
      const time = new Date().toISOString();
      for (const s of changed) io.out.write(`${JSON.stringify({ time, ...s })}\n`);
      return;
    }
    const text = renderStatus(changed);
    io.out.write(first ? text : text.slice(text.indexOf("\n") + 1));
    first = false;
  };

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    note(`watching ${port.context} (${port.server}); Ctrl-C stops`);
    await watchInventory(port, draw, { ...STATUS_READ, signal: stop.signal });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    screen?.done();
  }
}
