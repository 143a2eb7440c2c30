import type { CliIO } from "./io.js";
import type { ConfigFlags } from "./prepare.js";
import { prepare } from "./prepare.js";

/** Placeholder until the supervisor lands (issue 3): validates and reports, starts nothing. */
export async function runUpCommand(flags: ConfigFlags, services: string[], io: CliIO): Promise<number> {
  prepare(flags, services, io);
  io.stderr.write("mirrord-up: starting sessions is not implemented yet\n");
  return 1;
}
