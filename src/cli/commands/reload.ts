/** `mirrord-up reload`: the running up re-reads its file and applies what changed. */
import { Command } from "commander";
import { type ControlFlags, runReloadCommand } from "../control-commands.js";
import type { CommandContext } from "./context.js";
import { withRunOptions } from "./options.js";

export function reloadCommand(ctx: CommandContext): Command {
  return withRunOptions(
    new Command("reload").description("re-read the config file and apply what changed to the running up"),
  ).action(async (raw: ControlFlags) => {
    ctx.setExitCode(await runReloadCommand(raw, ctx.io));
  });
}
