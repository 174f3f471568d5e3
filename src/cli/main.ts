// The ambient-migrate command line: global kubectl-style flags, one subcommand per capability,
// and the one place where errors become exit codes.

import { Command, CommanderError, Option } from "commander";
import packageJson from "../../package.json" with { type: "json" };
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { commands } from "./commands/index.js";
import { type IOStreams, processStreams, styleFor } from "./streams.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function buildProgram(io: IOStreams = processStreams()): Command {
  const program = new Command("ambient-migrate")
    .description(
      "Move an Istio mesh from sidecar mode to ambient mode one namespace at a time:\n" +
        "assess what blocks it, plan each namespace's six steps, then migrate with a\n" +
        "verification gate after every step and an exact rollback.",
    )
    .version(VERSION)
    .option("--kubeconfig <path>", "kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)")
    .option("--context <name>", "kubeconfig context to use")
    .option("-n, --namespace <ns>", "namespace(s) to act on; repeat or comma-separate", collect)
    .option("-A, --all-namespaces", "act on every namespace")
    .option("-l, --selector <selector>", "select namespaces by label, e.g. istio-injection=enabled")
    .addOption(
      new Option("-o, --output <format>", "output format (html: report only)")
        .choices(["table", "json", "yaml", "html"])
        .default("table"),
    )
    .option(
      "-f, --filename <path>",
      "read manifests instead of a cluster: files, directories (recursively) or - for stdin; repeatable",
      collect,
    )
    .option(
      "--no-color",
      "never colour the output (also: NO_COLOR=1; FORCE_COLOR=1 colours even off a terminal)",
    )
    .addHelpText(
      "after",
      `
Examples:
  ambient-migrate assess -f examples/bookinfo-mesh          what blocks or complicates migration
  ambient-migrate plan -f examples/bookinfo-mesh -n bookinfo the six steps for one namespace
  kubectl get ns,deploy,svc,authorizationpolicies.security.istio.io -A -o yaml | ambient-migrate assess -f -

Exit codes:
  0 ok   1 internal error   2 usage   3 blockers found   4 invalid input   5 not found
  6 cluster unreachable   7 forbidden (RBAC)   8 prerequisite missing (Istio, Gateway API, ztunnel)
  9 verification failed   10 conflict (another run holds the lock)   11 Prometheus unavailable
  130 interrupted   141 stdout closed by its reader (as SIGPIPE ends Unix tools)`,
    );
  // Every subcommand's --help also lists the global flags (-n, -f, -o...), as kubectl's does.
  const output = { writeOut: (s: string) => io.out.write(s), writeErr: (s: string) => io.err.write(s) };
  program.configureOutput(output);
  for (const make of commands)
    program.addCommand(make(io).configureHelp({ showGlobalOptions: true }).configureOutput(output));
  // Subcommands added with addCommand do not inherit these: without them an unknown option, an
  // extra argument or a bad choice after the subcommand would exit 1 through process.exit.
  for (const command of [program, ...program.commands])
    command.exitOverride().showHelpAfterError("(run with --help for usage)");
  return program;
}

// Bundled into the build, so that the version never depends on where the CLI is installed.
const VERSION = packageJson.version;

/** Runs the CLI and returns the exit code; never calls process.exit itself. */
export async function run(argv: readonly string[], io: IOStreams = processStreams()): Promise<number> {
  const program = buildProgram(io);
  // Commands report a non-error outcome (e.g. blockers found) through process.exitCode; a
  // previous in-process run must not leak its code into this one.
  process.exitCode = 0;
  try {
    await program.parseAsync([...argv], { from: "user" });
    return Number(process.exitCode ?? 0);
  } catch (err) {
    // Parsed as far as it got; an error in parsing itself still honours a --no-color given.
    const color = program.opts().color !== false && !argv.includes("--no-color");
    return reportError(err, io, color);
  }
}

export function reportError(err: unknown, io: IOStreams = processStreams(), color = true): number {
  const style = styleFor(io, "err", color);
  if (err instanceof CommanderError) {
    // --help and --version end in a CommanderError with exit code 0.
    return err.exitCode === 0 ? 0 : ExitCode.usage;
  }
  if (err instanceof AmbientMigrateError) {
    io.err.write(`${style.fail("error:")} ${err.message}\n`);
    for (const detail of err.details) io.err.write(`  ${detail}\n`);
    if (err.hint) io.err.write(`${style.warn("hint:")} ${err.hint}\n`);
    return err.exitCode;
  }
  io.err.write(`${style.fail("internal error:")} ${(err as Error)?.stack ?? String(err)}\n`);
  io.err.write("hint: this is a bug in ambient-migrate; please report it with the command you ran\n");
  return ExitCode.internal;
}
