// What `ambient-migrate rollback` does (its flags and help: commands/rollback.ts).

import type { Command } from "commander";
import { AmbientMigrateError, ExitCode } from "../../errors.js";
import { isStepNumber, LAST_STEP, STEPS } from "../../plan/steps.js";
import { eventLine, type SummaryEvent } from "../../run/events.js";
import { newHolderIdentity } from "../../run/lock.js";
import { type RollbackResult, rollbackNamespace } from "../../run/rollback.js";
import { confirm, parseTimeout, withInterruption } from "../../run/session.js";
import { clusterPortFor } from "../cluster-loader.js";
import { globalOptions } from "../context.js";
import { RunScreen } from "../live/run-screen.js";
import { LiveTree, liveTreeWanted } from "../live/terminal.js";
import { structured, table } from "../output.js";
import { defaultLogPath, loggedRun } from "../run-log.js";
import { type IOStreams, noteTo, styleFor } from "../streams.js";

interface RollbackFlags {
  toStep: string;
  overwrite?: boolean;
  yes?: boolean;
  timeout: string;
  backupDir: string;
  log?: string;
}

export async function action(
  io: IOStreams,
  args: string[],
  flags: RollbackFlags,
  command: Command,
): Promise<void> {
  const screen = noteTo(io);
  const view = new RunScreen(screen);
  const logFile = flags.log ?? defaultLogPath(flags.backupDir, "rollback");
  return loggedRun(logFile, view.show, view.stop, async ({ note, log }) => {
    const options = globalOptions(command, { namespaceArgs: args });
    const namespaces = options.namespace;
    if (namespaces.length === 0 || options.allNamespaces || options.selector)
      throw new AmbientMigrateError(
        "rollback needs the namespaces named",
        ExitCode.usage,
        "ambient-migrate rollback NS... (or -n NS); each is rolled back from its own journal",
      );
    const toStep = Number(flags.toStep);
    if (!Number.isInteger(toStep) || toStep < 0 || toStep > LAST_STEP)
      throw new AmbientMigrateError(
        `--to-step ${flags.toStep} is not a step (0..${LAST_STEP})`,
        ExitCode.usage,
      );
    const timeoutMs = parseTimeout(flags.timeout);
    const port = await clusterPortFor(options, note);
    if (
      !(await confirm(
        `roll back ${namespaces.join(", ")} to after step ${toStep} on ${port.context}?`,
        flags.yes === true,
      ))
    ) {
      note("nothing changed");
      process.exitCode = ExitCode.usage;
      return;
    }
    if (liveTreeWanted(io, options.output))
      view.draw(
        new LiveTree(
          io.err,
          styleFor(io, "err", options.color),
          false,
          (step) => `undo: ${isStepNumber(step) ? STEPS[step - 1]?.title : "changes"}`,
        ),
      );
    view.start();
    // As migrate: the undos' kubectl equivalents on stdout (-o table), always in the log; with
    // --log or the live tree the terminal shows one line per change instead.
    const terse = flags.log !== undefined || view.live;
    const screenOut = options.output === "table" ? (l: string) => io.out.write(`${l}\n`) : screen;
    const toStdout = terse
      ? (l: string) => log?.write("kubectl", l)
      : (l: string) => {
          screenOut(l);
          log?.write("kubectl", l);
        };
    const events = view.events({
      ...(options.output === "json" ? { json: io.out } : {}),
      ...(log ? { log } : {}),
      terse,
      say: note,
    });
    const rows: ({ namespace: string } & RollbackResult)[] = [];
    const holder = newHolderIdentity();
    for (const namespace of namespaces) {
      if (namespaces.length > 1 && !view.live) note(`== ${namespace}`);
      const result = await withInterruption(note, (signal) =>
        rollbackNamespace(port, namespace, {
          toStep,
          backupDir: flags.backupDir,
          overwrite: flags.overwrite === true,
          timeoutMs,
          holder,
          signal,
          out: toStdout,
          progress: view.progress(namespace, note, log),
          events,
        }),
      );
      rows.push({ namespace, ...result });
    }
    view.stop();
    if (options.output === "json") {
      const summary: SummaryEvent = {
        time: new Date().toISOString(),
        event: "summary",
        phase: "finished",
        exitCode: 0,
        namespaces: rows.map((r) => ({ namespace: r.namespace, result: "rolled-back" })),
      };
      log?.event(summary);
      io.out.write(eventLine(summary));
      return;
    }
    io.out.write(
      options.output === "table"
        ? table(
            ["namespace", "rolled back to", "changes undone", "left alone"],
            rows.map((r) => [
              r.namespace,
              `after step ${r.toStep}`,
              String(r.undone),
              r.skipped.join(" ") || "-",
            ]),
          )
        : structured(namespaces.length === 1 ? rows[0] : { namespaces: rows }, options.output),
    );
  });
}
