/** `mirrord-up ps [SERVICE...]`: the services of the running up. A control command: it never loads the heavy bundle. */
import { Command, Option } from "commander";
import { type PsFlags, runPsCommand } from "../control-commands.js";
import type { CommandContext } from "./context.js";
import { withRunOptions } from "./options.js";

export function psCommand(ctx: CommandContext): Command {
  return withRunOptions(
    new Command("ps")
      .description("list the services of the running up: state, pid, restarts, exit")
      .argument("[services...]", "services to show (default: all)"),
  )
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .addOption(new Option("--services", "print the services' names only, one a line").conflicts("format"))
    .addOption(
      new Option("-q, --quiet", "print the running services' pids only, one a line").conflicts([
        "format",
        "services",
      ]),
    )
    .option("--no-color", "no colours (also: NO_COLOR)")
    .action(async (services: string[], raw: PsFlags) => {
      ctx.setExitCode(await runPsCommand(raw, services, ctx.io));
    });
}
