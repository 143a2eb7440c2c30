/** `mirrord-up [up] [SERVICE...]`: start the selected services; the default command. */
import { Command, InvalidArgumentError } from "commander";
import { UserError } from "../../core/errors.js";
import { suggest } from "../../core/suggest.js";
import { composeCommandProblem } from "../compose-words.js";
import type { CliIO } from "../io.js";
import type { CommandContext } from "./context.js";
import {
  configFlags,
  dashboardPortOption,
  mirrordBinOption,
  noInteractiveOption,
  type RawConfigFlags,
  requestTimeoutOption,
  timeoutOption,
  withConfigOptions,
} from "./options.js";

interface RawUpFlags extends RawConfigFlags {
  interactive: boolean;
  mirrordBin?: string;
  ui: boolean;
  timeout: number;
  keepGoing: boolean;
  color: boolean;
  logPrefix: boolean;
  timestamps: boolean;
  watch: boolean;
  logLines?: number;
  logBytes?: number;
  dashboard: boolean;
  dashboardPort?: number;
  preflight: boolean;
  requestTimeout: number;
}

/** The flags of `up`; the program declares them too, so that they work before `up`'s services. */
export function withUpOptions(command: Command): Command {
  return withConfigOptions(command)
    .addOption(mirrordBinOption())
    .option("-u, --ui", "also run `mirrord ui` in the background", false)
    .addOption(timeoutOption())
    .option("--keep-going", "when a service ends, let the others run on; exit when all have ended", false)
    .option("--no-color", "no colours (also: NO_COLOR)")
    .option("--no-log-prefix", "print application lines without the `name | ` prefix")
    .option("--timestamps", "show a timestamp on every application line", false)
    .addOption(noInteractiveOption())
    .option("-w, --watch", "apply edits of the file and its env files as they are saved", false)
    .option("--log-lines <n>", "lines of output kept per service for `logs` (default 10000)", parseCount)
    .option("--log-bytes <n>", "bytes of output kept per service for `logs` (default 8 MiB)", parseCount)
    .option("--dashboard", "serve the web dashboard while the run lasts (its address is printed)", false)
    .addOption(dashboardPortOption())
    .option("--preflight", "run `mirrord-up doctor` first; start nothing if it finds a problem", false)
    .addOption(requestTimeoutOption());
}

function parseCount(value: string): number {
  if (!/^[1-9]\d{0,12}$/.test(value)) throw new InvalidArgumentError("expected a whole number above 0");
  return Number(value);
}

export function upCommand(ctx: CommandContext): Command {
  return withUpOptions(
    new Command("up")
      .description("start the selected services (default command)")
      .argument("[services...]", "services to start (default: all not marked skip)"),
  ).action(async (services: string[], raw: RawUpFlags, command: Command) => {
    const program = command.parent;
    const first = services[0];
    if (first !== undefined && program && program.args[0] !== "up") {
      await checkMistypedCommand(
        first,
        program.commands.flatMap((c) => [c.name(), ...c.aliases()]),
        raw,
        ctx.io,
      );
    }
    const { runUpCommand } = await import("../heavy.js");
    ctx.setExitCode(
      await runUpCommand(
        {
          ...configFlags(raw),
          mirrordBin: raw.mirrordBin,
          ui: raw.ui,
          timeoutSeconds: raw.timeout,
          keepGoing: raw.keepGoing,
          color: raw.color,
          logPrefix: raw.logPrefix,
          timestamps: raw.timestamps,
          interactive: raw.interactive,
          watch: raw.watch,
          logLines: raw.logLines,
          logBytes: raw.logBytes,
          dashboard: raw.dashboard,
          dashboardPort: raw.dashboardPort,
          preflight: raw.preflight,
          requestTimeoutSeconds: raw.requestTimeout,
        },
        services,
        ctx.io,
      ),
    );
  });
}

/**
 * `mirrord-up valdate`: a first word close to a command is taken for a mistyped command, and a
 * docker compose command mirrord-up does not have (`build`) is answered with what to use instead
 * (never with a command it resembles), unless the file has a service of that name
 * (`mirrord-up up NAME` always means the service).
 */
async function checkMistypedCommand(
  word: string,
  commands: readonly string[],
  flags: RawConfigFlags,
  io: CliIO,
): Promise<void> {
  const composeOnly = composeCommandProblem(word);
  const command = composeOnly ? undefined : suggest(word, commands);
  if (!composeOnly && !command) return;
  let services: string[] | undefined;
  try {
    const { resolveKey, loadConfig } = await import("../heavy.js");
    const { key } = resolveKey(flags.key, io.env, io.username);
    services = Object.keys(
      loadConfig({ file: flags.configFile, cwd: io.cwd, key, env: io.env }).config.services,
    );
  } catch {
    services = undefined;
  }
  if (services?.includes(word)) return;
  if (composeOnly) throw composeOnly;
  throw new UserError({
    message: `unknown command "${word}"`,
    hint: `did you mean \`mirrord-up ${command}\`? (\`mirrord-up --help\` lists the commands)`,
  });
}
