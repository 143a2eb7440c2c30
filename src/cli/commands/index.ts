/**
 * The list of commands, the one place it is kept: `--help`, the bin file's Node flags and
 * docs/cli.md are derived from it. In the order `--help` lists them; the first is the default
 * command (`mirrord-up` alone, or followed by services, is `mirrord-up up`).
 */
import { completionCommand } from "./completion.js";
import { configCommand } from "./config.js";
import type { CommandFactory } from "./context.js";
import { dashboardCommand } from "./dashboard.js";
import { doctorCommand } from "./doctor.js";
import { downCommand } from "./down.js";
import { initCommand } from "./init.js";
import { killCommand } from "./kill.js";
import { logsCommand } from "./logs.js";
import { psCommand } from "./ps.js";
import { reloadCommand } from "./reload.js";
import { restartCommand } from "./restart.js";
import { routeCommand } from "./route.js";
import { runCommand } from "./run.js";
import { schemaCommand } from "./schema.js";
import { startCommand } from "./start.js";
import { stopCommand } from "./stop.js";
import { topCommand } from "./top.js";
import { upCommand } from "./up.js";
import { validateCommand } from "./validate.js";

export const COMMANDS: readonly CommandFactory[] = [
  upCommand,
  configCommand,
  validateCommand,
  doctorCommand,
  routeCommand,
  runCommand,
  psCommand,
  logsCommand,
  topCommand,
  restartCommand,
  startCommand,
  stopCommand,
  killCommand,
  downCommand,
  reloadCommand,
  dashboardCommand,
  initCommand,
  schemaCommand,
  completionCommand,
];
