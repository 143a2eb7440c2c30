/** `mirrord-up init`: the wizard that writes a mirrord-up.yaml (src/cli/init-command.ts). */
import { Command } from "commander";
import { DEFAULT_CONFIG_FILE } from "../../config/default-file.js";
import type { CommandContext } from "./context.js";

export function initCommand(ctx: CommandContext): Command {
  return new Command("init")
    .description("create a mirrord-up.yaml by answering questions (needs a terminal)")
    .option("-o, --output <file>", "the file name offered for saving", DEFAULT_CONFIG_FILE)
    .action(async (raw: { output: string }) => {
      const { runInitCommand } = await import("../heavy.js");
      ctx.setExitCode(await runInitCommand(raw.output, ctx.io));
    });
}
