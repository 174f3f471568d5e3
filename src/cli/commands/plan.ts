// `ambient-migrate plan`: the six steps for each selected namespace, as text to follow by hand
// or as data (-o json|yaml) for scripts and for `migrate`.

import { Command } from "commander";
import { assess } from "../../assess/assess.js";
import { ExitCode } from "../../errors.js";
import { buildPlan } from "../../plan/build.js";
import { renderPlanText } from "../../plan/render-text.js";
import { globalOptions, loadMesh, note } from "../context.js";
import { structured } from "../output.js";

export function planCommand(): Command {
  return new Command("plan")
    .description("plan each namespace's six migration steps: changes, checks, kubectl lines and rollback")
    .option("--fail-on-blocked", "exit with code 3 when any selected namespace is blocked")
    .addHelpText("after", "\nThe JSON/YAML schema is documented in docs/plan-schema.md.")
    .action(async (options: { failOnBlocked?: boolean }, command: Command) => {
      const global = globalOptions(command);
      const loaded = await loadMesh(global);
      note(loaded.summary);
      const plan = buildPlan(loaded.inventory, assess(loaded.inventory, loaded.namespaces));
      process.stdout.write(
        global.output === "table" ? renderPlanText(plan) : structured(plan, global.output),
      );
      if (options.failOnBlocked && plan.namespaces.some((n) => n.blocked))
        process.exitCode = ExitCode.blockersFound;
    });
}
