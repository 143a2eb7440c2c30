/** `mirrord-up restart [SERVICE...]`: restart services of the running up (all without names). */
import { Command } from "commander";
import { type ControlFlags, runServiceAction } from "../control-commands.js";
import type { CommandContext } from "./context.js";
import { withRunOptions } from "./options.js";

export function restartCommand(ctx: CommandContext): Command {
  return withRunOptions(
    new Command("restart")
      .description("restart the named services of the running up; without names, every service")
      .argument("[services...]", "the services (default: every service of the run)"),
  ).action(async (services: string[], raw: ControlFlags) => {
    ctx.setExitCode(await runServiceAction("restart", raw, services, ctx.io));
  });
}
