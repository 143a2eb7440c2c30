/** `mirrord-up restart SERVICE...`: restart services of the running up. */
import { Command } from "commander";
import { type ControlFlags, runServiceAction } from "../control-commands.js";
import type { CommandContext } from "./context.js";
import { configFileOption, projectDirectoryOption } from "./options.js";

export function restartCommand(ctx: CommandContext): Command {
  return new Command("restart")
    .description("restart the named services of the running up")
    .argument("<services...>", "the services")
    .addOption(configFileOption())
    .addOption(projectDirectoryOption())
    .action(async (services: string[], raw: ControlFlags) => {
      ctx.setExitCode(await runServiceAction("restart", raw, services, ctx.io));
    });
}
