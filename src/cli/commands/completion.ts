// `ambient-migrate completion bash|zsh`: prints a shell completion script.

import { Argument, Command } from "commander";
import { bashCompletion, zshCompletion } from "../completion.js";
import type { IOStreams } from "../streams.js";

export function completionCommand(io: IOStreams): Command {
  return new Command("completion")
    .description(
      "print a shell completion script (bash or zsh) for ambient-migrate and kubectl-ambient_migrate",
    )
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh"]))
    .addHelpText(
      "after",
      `
Completes subcommands, flags, flag values (-o, --dry-run...), files, and namespaces and contexts
from kubectl.

Examples:
  source <(ambient-migrate completion bash)                        this shell
  ambient-migrate completion bash > /etc/bash_completion.d/ambient-migrate
  echo 'source <(ambient-migrate completion zsh)' >> ~/.zshrc`,
    )
    .action((shell: "bash" | "zsh", _options, command: Command) => {
      const program = command.parent;
      if (!program) throw new Error("completion must be a subcommand");
      io.out.write(shell === "bash" ? bashCompletion(program) : zshCompletion(program));
    });
}
