/** `mirrord-up stop [SERVICE...]`: stop services of the running up; without names, end the run. */
import { Command } from "commander";
import { type ControlFlags, runDownCommand, runServiceAction } from "../control-commands.js";
import type { CommandContext } from "./context.js";
import { withRunOptions } from "./options.js";

export function stopCommand(ctx: CommandContext): Command {
  return withRunOptions(
    new Command("stop")
      .description("stop the named services of the running up; without names, end the whole run")
      .argument("[services...]", "the services (default: end the run, like Ctrl-C)"),
  ).action(async (services: string[], raw: ControlFlags) => {
    ctx.setExitCode(
      services.length === 0
        ? await runDownCommand(raw, ctx.io)
        : await runServiceAction("stop", raw, services, ctx.io),
    );
  });
}
