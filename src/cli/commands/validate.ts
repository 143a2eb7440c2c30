/** `mirrord-up validate`: check the config file, and what `up` checks here; exit 0 when it is valid. */
import { Command } from "commander";
import type { CommandContext } from "./context.js";
import { configFlags, type RawConfigFlags, withConfigOptions } from "./options.js";

export function validateCommand(ctx: CommandContext): Command {
  return withConfigOptions(
    new Command("validate").description(
      "check the config file, and here what up checks before it starts (programs, directories, env files); exit 0 when it is valid",
    ),
  )
    .option(
      "--mirrord-bin <path>",
      "the mirrord executable to look for (default: $MIRRORD_BIN, else mirrord on PATH)",
    )
    .action(async (raw: RawConfigFlags & { mirrordBin?: string }) => {
      const { runValidateCommand } = await import("../heavy.js");
      ctx.setExitCode(await runValidateCommand({ ...configFlags(raw), mirrordBin: raw.mirrordBin }, ctx.io));
    });
}
