/** `mirrord-up dashboard`: asks the running `up` to serve its dashboard, and prints the address. */

import { ControlClient, locateInstance } from "../control/client.js";
import { ExitCode } from "../core/errors.js";
import { type CliIO, writeOutput } from "./io.js";

export async function runDashboardCommand(
  flags: { configFile?: string; dashboardPort?: number },
  io: CliIO,
): Promise<number> {
  const client = new ControlClient(locateInstance(flags.configFile, io.env, io.cwd));
  const { body } = await client.post(
    "/v1/dashboard",
    flags.dashboardPort === undefined ? {} : { port: flags.dashboardPort },
  );
  await writeOutput(io.stdout, `dashboard: ${body.url}\n`);
  return ExitCode.ok;
}
