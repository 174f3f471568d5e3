// What `ambient-migrate report` does (its flags and help: commands/report.ts).

import type { Command } from "commander";
import { buildReport } from "../../report/data.js";
import { renderReportHtml } from "../../report/html.js";
import { globalOptions, loadMesh } from "../context.js";
import { structured } from "../output.js";
import { planOptionsOf } from "../plan-flags.js";
import { type IOStreams, noteTo } from "../streams.js";

export async function action(io: IOStreams, flags: object, command: Command): Promise<void> {
  const note = noteTo(io);
  const global = globalOptions(command, { html: true });
  const loaded = await loadMesh(global, note);
  note(loaded.summary);
  const data = buildReport(loaded.inventory, loaded.namespaces, planOptionsOf(flags));
  io.out.write(global.output === "table" ? renderReportHtml(data) : structured(data, global.output));
}
