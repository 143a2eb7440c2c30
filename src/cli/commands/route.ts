/** `mirrord-up route [SERVICE…] 'METHOD PATH' [-H 'Name: value']… [--port N]`: which session gets a request. */
import { Command, InvalidArgumentError, Option } from "commander";
import { type RouteFlags, runRouteCommand } from "../route-command.js";
import type { CommandContext } from "./context.js";
import { withConfigOptions } from "./options.js";

export function routeCommand(ctx: CommandContext): Command {
  return withConfigOptions(
    new Command("route")
      .description(
        "say which session gets a request (steals / passes / cannot tell, and why), as mirrord's agent decides",
      )
      .argument(
        "<request...>",
        "services to ask about (default: all), then the request: 'METHOD PATH' as one argument, or a curl command line",
      )
      .option("-H, --header <line>", "a request header, 'Name: value' (repeat for more)", collect, [])
      .addOption(
        new Option("--port <port>", "the port the request arrives on at the target").argParser(parsePort),
      )
      .option(
        "--operator",
        "the sessions go through the mirrord operator (default: the file's common.operator)",
      )
      .option("--no-operator", "the sessions run without the operator, one agent each")
      .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text")),
  ).action(async (args: string[], raw: RouteFlags) => {
    ctx.setExitCode(await runRouteCommand(raw, args, ctx.io));
  });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw new InvalidArgumentError("expected a port number (1 to 65535)");
  }
  return Number(value);
}
