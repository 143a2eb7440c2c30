/** `mirrord-up config [SERVICE...]`: what would run, each service's command and mirrord.json. */
import { Command, Option } from "commander";
import type { CommandContext } from "./context.js";
import { configFlags, type RawConfigFlags, withConfigOptions } from "./options.js";

interface RawFlags extends RawConfigFlags {
  format: "yaml" | "json";
  outputDir?: string;
  resolve: boolean;
  interactive: boolean;
  services: boolean;
}

export function configCommand(ctx: CommandContext): Command {
  return withConfigOptions(
    new Command("config")
      .description("print what would run: each service's command and complete mirrord.json")
      .argument("[services...]", "services to show (default: all not marked skip)")
      .addOption(new Option("--format <format>", "output format").choices(["yaml", "json"]).default("yaml"))
      .option("--output-dir <dir>", "write <service>.json files (exactly what up hands to mirrord)")
      .option("--no-resolve", "do not ask the cluster: targets to infer are shown as pending")
      .option("--no-interactive", "never prompt; a target that cannot be inferred is an error")
      .option("--services", "print only the file's service names, one a line (what completion reads)", false),
  ).action(async (services: string[], raw: RawFlags) => {
    const { runConfigCommand } = await import("../heavy.js");
    ctx.setExitCode(
      await runConfigCommand(
        {
          ...configFlags(raw),
          format: raw.format,
          outputDir: raw.outputDir,
          resolve: raw.resolve,
          interactive: raw.interactive,
          servicesOnly: raw.services,
        },
        services,
        ctx.io,
      ),
    );
  });
}
