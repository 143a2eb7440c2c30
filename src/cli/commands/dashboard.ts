/** `mirrord-up dashboard`: asks the running `up` to serve its dashboard, and prints the address. */
import { Command } from "commander";
import { ControlClient, locateInstance } from "../../control/client.js";
import { ExitCode } from "../../core/errors.js";
import { type CliIO, writeOutput } from "../io.js";
import type { CommandContext } from "./context.js";
import { configFileOption, dashboardPortOption, projectDirectoryOption } from "./options.js";

interface DashboardFlags {
  configFile?: string;
  dashboardPort?: number;
}

export function dashboardCommand(ctx: CommandContext): Command {
  return new Command("dashboard")
    .description("serve the web dashboard of the running up (if it is not yet) and print its address")
    .addOption(configFileOption())
    .addOption(projectDirectoryOption())
    .addOption(dashboardPortOption())
    .action(async (raw: DashboardFlags) => {
      ctx.setExitCode(await runDashboard(raw, ctx.io));
    });
}

async function runDashboard(flags: DashboardFlags, io: CliIO): Promise<number> {
  const client = new ControlClient(locateInstance(flags.configFile, io.env, io.cwd));
  const { body } = await client.post(
    "/v1/dashboard",
    flags.dashboardPort === undefined ? {} : { port: flags.dashboardPort },
  );
  await writeOutput(io.stdout, `dashboard: ${body.url}\n`);
  return ExitCode.ok;
}
