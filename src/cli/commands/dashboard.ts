/** `mirrord-up dashboard`: asks the running `up` to serve its dashboard, and prints the address. */
import { Command } from "commander";
import { ExitCode } from "../../core/errors.js";
import { type ControlFlags, connect } from "../control-commands.js";
import { type CliIO, writeOutput } from "../io.js";
import type { CommandContext } from "./context.js";
import { dashboardPortOption, withRunOptions } from "./options.js";

interface DashboardFlags extends ControlFlags {
  dashboardPort?: number;
}

export function dashboardCommand(ctx: CommandContext): Command {
  return withRunOptions(
    new Command("dashboard").description(
      "serve the web dashboard of the running up (if it is not yet) and print its address",
    ),
  )
    .addOption(dashboardPortOption())
    .action(async (raw: DashboardFlags) => {
      ctx.setExitCode(await runDashboard(raw, ctx.io));
    });
}

async function runDashboard(flags: DashboardFlags, io: CliIO): Promise<number> {
  const client = await connect(flags, io);
  const { body } = await client.post(
    "/v1/dashboard",
    flags.dashboardPort === undefined ? {} : { port: flags.dashboardPort },
  );
  await writeOutput(io.stdout, `dashboard: ${body.url}\n`);
  return ExitCode.ok;
}
