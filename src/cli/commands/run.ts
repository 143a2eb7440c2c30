/** `mirrord-up run SERVICE [--steal] [-- CMD...]`: a one-off command under a service's mirrord configuration. */
import { Command } from "commander";
import type { CommandContext } from "./context.js";
import {
  configFlags,
  mirrordBinOption,
  noInteractiveOption,
  type RawConfigFlags,
  timeoutOption,
  withConfigOptions,
} from "./options.js";

interface RawRunFlags extends RawConfigFlags {
  interactive: boolean;
  mirrordBin?: string;
  timeout: number;
  steal: boolean;
}

export function runCommand(ctx: CommandContext): Command {
  return withConfigOptions(
    new Command("run")
      .description(
        "run a one-off command under a service's mirrord configuration and environment (incoming traffic off)",
      )
      .usage("[options] <service> [-- command...]")
      .argument("<service>", "the service whose configuration the command runs with")
      .argument("[command...]", "the command and its arguments, after `--` (default: the service's own)"),
  )
    .option("--steal", "take the service's incoming traffic as `up` does, instead of none", false)
    .addOption(mirrordBinOption())
    .addOption(timeoutOption())
    .addOption(noInteractiveOption())
    .action(async (service: string, command: string[], raw: RawRunFlags) => {
      const { runRunCommand } = await import("../heavy.js");
      ctx.setExitCode(
        await runRunCommand(
          {
            ...configFlags(raw),
            interactive: raw.interactive,
            mirrordBin: raw.mirrordBin,
            timeoutSeconds: raw.timeout,
            steal: raw.steal,
          },
          service,
          command,
          ctx.io,
        ),
      );
    });
}
