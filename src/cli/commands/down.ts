/** `mirrord-up down`: end the running up and wait until every service has stopped. */
import { Command } from "commander";
import { type ControlFlags, runDownCommand } from "../control-commands.js";
import type { CommandContext } from "./context.js";
import { configFileOption, projectDirectoryOption } from "./options.js";

export function downCommand(ctx: CommandContext): Command {
  return new Command("down")
    .description("end the running up (like Ctrl-C) and wait until every service has stopped")
    .addOption(configFileOption())
    .addOption(projectDirectoryOption())
    .action(async (raw: ControlFlags) => {
      ctx.setExitCode(await runDownCommand(raw, ctx.io));
    });
}
