/** `mirrord-up start SERVICE...`: start services of the running up. */
import { Command } from "commander";
import { type ControlFlags, runServiceAction } from "../control-commands.js";
import type { CommandContext } from "./context.js";
import { configFileOption, projectDirectoryOption } from "./options.js";

export function startCommand(ctx: CommandContext): Command {
  return new Command("start")
    .description("start the named services of the running up (stopped ones, or ones not selected)")
    .argument("<services...>", "the services")
    .addOption(configFileOption())
    .addOption(projectDirectoryOption())
    .action(async (services: string[], raw: ControlFlags) => {
      ctx.setExitCode(await runServiceAction("start", raw, services, ctx.io));
    });
}
