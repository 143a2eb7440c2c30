/** `mirrord-up kill [-s SIGNAL] SERVICE...`: signal services of the running up. A control command. */
import { Command } from "commander";
import { UserError } from "../../core/errors.js";
import { suggest } from "../../core/suggest.js";
import { runKillCommand } from "../control-commands.js";
import type { CommandContext } from "./context.js";
import { configFileOption } from "./options.js";

interface RawKillFlags {
  configFile?: string;
  signal: string;
  group: boolean;
}

/**
 * `KILL`, `SIGKILL`, `kill` or `9` is SIGKILL, as `docker compose kill -s` takes them. Node's
 * table of signals is loaded only here: the other commands start without it.
 */
async function signalNamed(value: string): Promise<NodeJS.Signals> {
  const { constants } = await import("node:os");
  const names = Object.keys(constants.signals) as NodeJS.Signals[];
  // The first name of a number is its usual one (6 is SIGABRT, not SIGIOT).
  const byNumber = /^\d+$/.test(value)
    ? names.find((n) => constants.signals[n] === Number(value))
    : undefined;
  const upper = value.toUpperCase();
  const name = byNumber ?? (upper.startsWith("SIG") ? upper : `SIG${upper}`);
  if ((names as string[]).includes(name)) return name as NodeJS.Signals;
  const close = /^\d+$/.test(value) ? undefined : suggest(name, names);
  throw new UserError({
    message: `--signal ${value}: no such signal`,
    hint: `${close ? `did you mean ${close.slice(3)}? ` : ""}give a name such as TERM or SIGHUP, or a number such as 9`,
  });
}

export function killCommand(ctx: CommandContext): Command {
  return new Command("kill")
    .description(
      "send a signal to the main process of services of the running up (their restart policy then applies)",
    )
    .argument("<services...>", "the services")
    .addOption(configFileOption())
    .option("-s, --signal <signal>", "the signal: a name (TERM, SIGHUP) or a number", "SIGKILL")
    .option("--group", "send it to the service's whole process group instead", false)
    .action(async (services: string[], raw: RawKillFlags) => {
      const signal = await signalNamed(raw.signal);
      ctx.setExitCode(await runKillCommand({ ...raw, signal }, services, ctx.io));
    });
}
