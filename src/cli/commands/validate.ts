/** `mirrord-up validate`: check the config file; exit 0 when it is valid. */
import { Command } from "commander";
import type { CommandContext } from "./context.js";
import { configFlags, type RawConfigFlags, withConfigOptions } from "./options.js";

export function validateCommand(ctx: CommandContext): Command {
  return withConfigOptions(
    new Command("validate").description("check the config file; exit 0 when it is valid"),
  ).action(async (raw: RawConfigFlags) => {
    const { runValidateCommand } = await import("../heavy.js");
    ctx.setExitCode(await runValidateCommand(configFlags(raw), ctx.io));
  });
}
