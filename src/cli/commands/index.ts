// Every subcommand, in the order `--help` lists them. Each file builds one Command.
import type { Command } from "commander";

export const commands: (() => Command)[] = [];
