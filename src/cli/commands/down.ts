/** `mirrord-up down`: end the running up and wait until every service has stopped. */
import { Command } from "commander";
import { type ControlFlags, runDownCommand } from "../control-commands.js";
import type { CommandContext } from "./context.js";
import { withRunOptions } from "./options.js";

export function downCommand(ctx: CommandContext): Command {
  return withRunOptions(
    new Command("down").description(
      "end the running up (like Ctrl-C) and wait until every service has stopped; with none running, say so (exit 0)",
    ),
  ).action(async (raw: ControlFlags) => {
    ctx.setExitCode(await runDownCommand(raw, ctx.io));
  });
}
