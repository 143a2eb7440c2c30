/** `mirrord-up doctor [SERVICE...]`: what would fail, and why, before anything starts. */
import { Command, Option } from "commander";
import type { CommandContext } from "./context.js";
import {
  configFlags,
  mirrordBinOption,
  type RawConfigFlags,
  requestTimeoutOption,
  withConfigOptions,
} from "./options.js";

interface RawDoctorFlags extends RawConfigFlags {
  mirrordBin?: string;
  requestTimeout: number;
  format: "text" | "json";
}

export function doctorCommand(ctx: CommandContext): Command {
  return withConfigOptions(
    new Command("doctor")
      .description(
        "check this machine, the cluster and the sessions for what would fail, before anything starts; exit 0 (ok or warnings), 1 (a problem), 2 (an invalid file)",
      )
      .argument("[services...]", "services to check (default: all not marked skip)"),
  )
    .addOption(mirrordBinOption())
    .addOption(requestTimeoutOption())
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .action(async (services: string[], raw: RawDoctorFlags) => {
      const { runDoctorCommand } = await import("../heavy.js");
      ctx.setExitCode(
        await runDoctorCommand(
          {
            ...configFlags(raw),
            mirrordBin: raw.mirrordBin,
            requestTimeoutSeconds: raw.requestTimeout,
            format: raw.format,
          },
          services,
          ctx.io,
        ),
      );
    });
}
