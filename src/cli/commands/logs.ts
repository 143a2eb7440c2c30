/** `mirrord-up logs [SERVICE...]`: the output of the running up. A control command: no heavy bundle. */
import { Command, InvalidArgumentError } from "commander";
import { type LogsFlags, runLogsCommand } from "../control-commands.js";
import type { CommandContext } from "./context.js";
import { configFileOption, projectDirectoryOption } from "./options.js";

/** `all` stays a word: a parser's `undefined` would make commander store an empty string. */
function parseTail(value: string): number | "all" {
  if (value === "all") return "all";
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a number of lines, or "all"');
  return Number(value);
}

export function logsCommand(ctx: CommandContext): Command {
  return new Command("logs")
    .description("print the output of the running up (all services, or the ones named)")
    .argument("[services...]", "services to show (default: all)")
    .addOption(configFileOption({ short: false }))
    .addOption(projectDirectoryOption())
    .option("-f, --follow", "keep printing new output until Ctrl-C or the end of the run", false)
    .option(
      "-n, --tail <lines>",
      'at most this many lines per service (default: "all" that is kept)',
      parseTail,
    )
    .option("--no-color", "no colours (also: NO_COLOR)")
    .option("--no-log-prefix", "print application lines without the `name | ` prefix")
    .option("--timestamps", "show when each application line was read", false)
    .action(async (services: string[], raw: LogsFlags) => {
      ctx.setExitCode(await runLogsCommand(raw, services, ctx.io));
    });
}
