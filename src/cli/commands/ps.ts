/** `mirrord-up ps`: the services of the running up. A control command: it never loads the heavy bundle. */
import { Command, Option } from "commander";
import { type PsFlags, runPsCommand } from "../control-commands.js";
import type { CommandContext } from "./context.js";
import { configFileOption, projectDirectoryOption } from "./options.js";

export function psCommand(ctx: CommandContext): Command {
  return new Command("ps")
    .description("list the services of the running up: state, pid, restarts, exit")
    .addOption(configFileOption())
    .addOption(projectDirectoryOption())
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .option("--no-color", "no colours (also: NO_COLOR)")
    .action(async (raw: PsFlags) => {
      ctx.setExitCode(await runPsCommand(raw, ctx.io));
    });
}
