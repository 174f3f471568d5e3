// Every subcommand, in the order `--help` lists them. Each file builds one Command.
import type { Command } from "commander";
import type { IOStreams } from "../streams.js";
import { assessCommand } from "./assess.js";
import { backupCommand } from "./backup.js";
import { completionCommand } from "./completion.js";
import { controllerCommand } from "./controller.js";
import { migrateCommand } from "./migrate.js";
import { observabilityCommand } from "./observability.js";
import { planCommand } from "./plan.js";
import { reportCommand } from "./report.js";
import { rollbackCommand } from "./rollback.js";
import { statusCommand } from "./status.js";
import { translateCommand } from "./translate.js";
import { verifyRoutesCommand } from "./verify-routes.js";

export const commands: ((io: IOStreams) => Command)[] = [
  assessCommand,
  planCommand,
  statusCommand,
  translateCommand,
  verifyRoutesCommand,
  backupCommand,
  migrateCommand,
  rollbackCommand,
  observabilityCommand,
  reportCommand,
  controllerCommand,
  completionCommand,
];
