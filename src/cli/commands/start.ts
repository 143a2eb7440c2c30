/** `mirrord-up start [SERVICE...]`: start services of the running up (every stopped one without names). */
import { Command } from "commander";
import { type ControlFlags, runServiceAction } from "../control-commands.js";
import type { CommandContext } from "./context.js";
import { withRunOptions } from "./options.js";

export function startCommand(ctx: CommandContext): Command {
  return withRunOptions(
    new Command("start")
      .description(
        "start the named services of the running up (stopped ones, or ones not selected); without names, every stopped one",
      )
      .argument("[services...]", "the services (default: each of the run that is stopped, exited or failed)"),
  ).action(async (services: string[], raw: ControlFlags) => {
    ctx.setExitCode(await runServiceAction("start", raw, services, ctx.io));
  });
}
