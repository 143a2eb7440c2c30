/** `mirrord-up top [SERVICE...]`: each service's processes, like `docker compose top`. A control command. */
import { Command, Option } from "commander";
import { runTopCommand, type TopFlags } from "../control-commands.js";
import type { CommandContext } from "./context.js";
import { configFileOption } from "./options.js";

export function topCommand(ctx: CommandContext): Command {
  return new Command("top")
    .description("show the processes of each service of the running up: pid, CPU, memory, command")
    .argument("[services...]", "services to show (default: every one that has processes)")
    .addOption(configFileOption())
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .action(async (services: string[], raw: TopFlags) => {
      ctx.setExitCode(await runTopCommand(raw, services, ctx.io));
    });
}
