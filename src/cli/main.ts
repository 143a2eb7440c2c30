/**
 * Commander wiring only: parse flags, call a command, map errors to exit codes.
 * `runCli` is the whole program minus the process; `bin/mirrord-up.js` calls `main()`.
 *
 * Options may come before the subcommand too, as with docker compose (`mirrord-up -f x.yaml -k me
 * config`): the program declares them as well, and a `preAction` hook hands each one given there
 * to the subcommand (one given after the subcommand wins). An option the subcommand does not take
 * is a usage error rather than silently ignored. A first word that is neither a command nor a
 * service, but close to a command (`valdate`), is reported as a mistyped command.
 *
 * The commands that read the config file (and so load YAML, zod and the template engine) are
 * imported when they run, from `heavy.ts`: `ps`, `logs` and the other control commands start
 * without them.
 */
import { closeSync } from "node:fs";
import { isatty } from "node:tty";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { DEFAULT_CONFIG_FILE } from "../config/default-file.js";
import { colorsFor } from "../core/colors.js";
import { ExitCode, formatDiagnostic, sortDiagnostics, UserError } from "../core/errors.js";
import { suggest } from "../core/suggest.js";
import type { Mode } from "../plan/assemble.js";
import {
  runDownCommand,
  runLogsCommand,
  runPsCommand,
  runReloadCommand,
  runServiceAction,
  type ServiceAction,
} from "./control-commands.js";
import { runDashboardCommand } from "./dashboard-command.js";
import { type CliIO, processIO } from "./io.js";
import type { ConfigFlags } from "./prepare.js";

const VERSION = "0.1.0";

interface RawConfigFlags {
  configFile: string;
  key?: string;
  mode?: Mode;
  context?: string;
}

const configFileOption = () =>
  new Option("-f, --config-file <path>", "the mirrord-up config file").default(DEFAULT_CONFIG_FILE);

function withConfigOptions(command: Command, { mode = true } = {}): Command {
  command
    .addOption(configFileOption())
    .option("-k, --key <key>", "session key (default: $MIRRORD_KEY, else your OS user name)");
  if (mode) {
    command
      .addOption(
        new Option("-m, --mode <mode>", "override default_mode of the selected services").choices([
          "split",
          "replace",
        ]),
      )
      .option("--context <name>", "kube context for every service (beats the file)");
  }
  return command;
}

/** The flags of `up` (also declared on the program, so that they work before `up`'s services). */
function withUpOptions(command: Command): Command {
  return withConfigOptions(command)
    .option("--mirrord-bin <path>", "the mirrord executable (default: $MIRRORD_BIN, else mirrord on PATH)")
    .option("-u, --ui", "also run `mirrord ui` in the background", false)
    .option(
      "-t, --timeout <seconds>",
      "grace period between SIGTERM and SIGKILL when stopping",
      parseSeconds,
      10,
    )
    .option("--keep-going", "when a service ends, let the others run on; exit when all have ended", false)
    .option("--no-color", "no colours (also: NO_COLOR)")
    .option("--no-log-prefix", "print application lines without the `name | ` prefix")
    .option("--timestamps", "show a timestamp on every application line", false)
    .option("--no-interactive", "never prompt; a target that cannot be inferred is an error")
    .option("-w, --watch", "apply edits of the file and its env files as they are saved", false)
    .option("--log-lines <n>", "lines of output kept per service for `logs` (default 10000)", parseCount)
    .option("--log-bytes <n>", "bytes of output kept per service for `logs` (default 8 MiB)", parseCount)
    .option("--dashboard", "serve the web dashboard while the run lasts (its address is printed)", false)
    .addOption(dashboardPortOption());
}

const dashboardPortOption = () =>
  new Option("--dashboard-port <port>", "the dashboard's port on 127.0.0.1 (default: a free one)").argParser(
    parsePort,
  );

function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError("expected a port number");
  return Number(value);
}

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
}

function parseCount(value: string): number {
  if (!/^[1-9]\d{0,12}$/.test(value)) throw new InvalidArgumentError("expected a whole number above 0");
  return Number(value);
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(seconds)) {
    throw new InvalidArgumentError("expected a number of seconds, e.g. 10 or 2.5");
  }
  return seconds;
}

/** `all` stays a word: a parser's `undefined` would make commander store an empty string. */
function parseTail(value: string): number | "all" {
  if (value === "all") return "all";
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a number of lines, or "all"');
  return Number(value);
}

function configFlags(raw: RawConfigFlags): ConfigFlags {
  return { configFile: raw.configFile, key: raw.key, mode: raw.mode, context: raw.context };
}

const EXAMPLES = `
Examples:
  mirrord-up                          start every service of ./mirrord-up.yaml
  mirrord-up -f staging.yaml api web  start two services of another file
  mirrord-up validate                 check the file
  mirrord-up config api               show api's command and mirrord.json

  From another terminal, while it runs:
  mirrord-up ps                       what runs, since when, with which pid
  mirrord-up logs -f api              api's output so far, then as it comes
  mirrord-up restart api              restart one service
  mirrord-up down                     stop everything (like Ctrl-C)
`;

/** Hands options given before the subcommand to it; refuses those it does not take. */
function applyLeadingOptions(program: Command, action: Command): void {
  for (const option of program.options) {
    const key = option.attributeName();
    if (program.getOptionValueSource(key) !== "cli") continue;
    const own = action.options.find((o) => o.attributeName() === key);
    if (!own) {
      action.error(`error: option '${option.flags}' does not apply to \`mirrord-up ${action.name()}\``, {
        exitCode: ExitCode.usage,
        code: "mirrord-up.inapplicableOption",
      });
    }
    // Given after the subcommand as well: that one is the nearer, and wins.
    if (action.getOptionValueSource(key) === "cli") continue;
    action.setOptionValueWithSource(key, program.getOptionValue(key), "cli");
  }
}

/**
 * `mirrord-up valdate`: a first word close to a command is taken for a mistyped command, unless
 * the file has a service of that name (`mirrord-up up NAME` always means the service).
 */
async function checkMistypedCommand(
  word: string,
  commands: readonly string[],
  flags: RawConfigFlags,
  io: CliIO,
): Promise<void> {
  const command = suggest(word, commands);
  if (!command) return;
  let services: string[] | undefined;
  try {
    const { resolveKey, loadConfig } = await import("./heavy.js");
    const { key } = resolveKey(flags.key, io.env, io.username);
    services = Object.keys(
      loadConfig({ file: flags.configFile, cwd: io.cwd, key, env: io.env }).config.services,
    );
  } catch {
    services = undefined;
  }
  if (services?.includes(word)) return;
  throw new UserError({
    message: `unknown command "${word}"`,
    hint: `did you mean \`mirrord-up ${command}\`? (\`mirrord-up --help\` lists the commands)`,
  });
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = new Command("mirrord-up")
    .description("docker compose for mirrord: run several mirrord sessions from one mirrord-up.yaml")
    .usage("[options] [command] [SERVICE...]")
    .version(VERSION, "-V, --version")
    .enablePositionalOptions()
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .addHelpText("after", EXAMPLES);
  // The program's own copies; only those given on the command line are handed on.
  withUpOptions(program);
  program.hook("preAction", (_program, action) => applyLeadingOptions(program, action));

  withUpOptions(
    program
      .command("up", { isDefault: true })
      .description("start the selected services (default command)")
      .argument("[services...]", "services to start (default: all not marked skip)"),
  ).action(async (services: string[], raw: RawUpFlags) => {
    const first = services[0];
    if (first !== undefined && program.args[0] !== "up") {
      await checkMistypedCommand(
        first,
        program.commands.flatMap((c) => [c.name(), ...c.aliases()]),
        raw,
        io,
      );
    }
    const { runUpCommand } = await import("./heavy.js");
    exitCode = await runUpCommand(
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
      },
      services,
      io,
    );
  });

  withConfigOptions(
    program
      .command("config")
      .description("print what would run: each service's command and complete mirrord.json")
      .argument("[services...]", "services to show (default: all not marked skip)")
      .addOption(new Option("--format <format>", "output format").choices(["yaml", "json"]).default("yaml"))
      .option("--output-dir <dir>", "write <service>.json files (exactly what up hands to mirrord)")
      .option("--no-resolve", "do not ask the cluster: targets to infer are shown as pending")
      .option("--no-interactive", "never prompt; a target that cannot be inferred is an error"),
  ).action(
    async (
      services: string[],
      raw: RawConfigFlags & {
        format: "yaml" | "json";
        outputDir?: string;
        resolve: boolean;
        interactive: boolean;
      },
    ) => {
      const { runConfigCommand } = await import("./heavy.js");
      exitCode = await runConfigCommand(
        {
          ...configFlags(raw),
          format: raw.format,
          outputDir: raw.outputDir,
          resolve: raw.resolve,
          interactive: raw.interactive,
        },
        services,
        io,
      );
    },
  );

  withConfigOptions(
    program.command("validate").description("check the config file; exit 0 when it is valid"),
  ).action(async (raw: RawConfigFlags) => {
    const { runValidateCommand } = await import("./heavy.js");
    exitCode = await runValidateCommand(configFlags(raw), io);
  });

  program
    .command("ps")
    .description("list the services of the running up: state, pid, restarts, exit")
    .addOption(configFileOption())
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .option("--no-color", "no colours (also: NO_COLOR)")
    .action(async (raw: { configFile: string; format: "table" | "json"; color: boolean }) => {
      exitCode = await runPsCommand(raw, io);
    });

  program
    .command("logs")
    .description("print the output of the running up (all services, or the ones named)")
    .argument("[services...]", "services to show (default: all)")
    .addOption(new Option("--config-file <path>", "the mirrord-up config file").default(DEFAULT_CONFIG_FILE))
    .option("-f, --follow", "keep printing new output until Ctrl-C or the end of the run", false)
    .option(
      "-n, --tail <lines>",
      'at most this many lines per service (default: "all" that is kept)',
      parseTail,
    )
    .option("--no-color", "no colours (also: NO_COLOR)")
    .option("--no-log-prefix", "print application lines without the `name | ` prefix")
    .option("--timestamps", "show when each application line was read", false)
    .action(
      async (
        services: string[],
        raw: {
          configFile: string;
          follow: boolean;
          tail?: number | "all";
          color: boolean;
          logPrefix: boolean;
          timestamps: boolean;
        },
      ) => {
        exitCode = await runLogsCommand(raw, services, io);
      },
    );

  const actions: [ServiceAction, string][] = [
    ["restart", "restart the named services of the running up"],
    ["start", "start the named services of the running up (stopped ones, or ones not selected)"],
  ];
  for (const [action, description] of actions) {
    program
      .command(action)
      .description(description)
      .argument("<services...>", "the services")
      .addOption(configFileOption())
      .action(async (services: string[], raw: { configFile: string }) => {
        exitCode = await runServiceAction(action, raw, services, io);
      });
  }

  program
    .command("stop")
    .description("stop the named services of the running up; without names, end the whole run")
    .argument("[services...]", "the services (default: end the run, like Ctrl-C)")
    .addOption(configFileOption())
    .action(async (services: string[], raw: { configFile: string }) => {
      exitCode =
        services.length === 0
          ? await runDownCommand(raw, io)
          : await runServiceAction("stop", raw, services, io);
    });

  program
    .command("down")
    .description("end the running up (like Ctrl-C) and wait until every service has stopped")
    .addOption(configFileOption())
    .action(async (raw: { configFile: string }) => {
      exitCode = await runDownCommand(raw, io);
    });

  program
    .command("reload")
    .description("re-read the config file and apply what changed to the running up")
    .addOption(configFileOption())
    .action(async (raw: { configFile: string }) => {
      exitCode = await runReloadCommand(raw, io);
    });

  program
    .command("dashboard")
    .description("serve the web dashboard of the running up (if it is not yet) and print its address")
    .addOption(configFileOption())
    .addOption(dashboardPortOption())
    .action(async (raw: { configFile: string; dashboardPort?: number }) => {
      exitCode = await runDashboardCommand(raw, io);
    });

  program
    .command("init")
    .description("create a mirrord-up.yaml by answering questions (needs a terminal)")
    .option("-o, --output <file>", "the file name offered for saving", DEFAULT_CONFIG_FILE)
    .action(async (raw: { output: string }) => {
      const { runInitCommand } = await import("./heavy.js");
      exitCode = await runInitCommand(raw.output, io);
    });

  program
    .command("schema")
    .description("print the JSON Schema (draft-07) of mirrord-up.yaml, for editors")
    .action(async () => {
      const { runSchemaCommand } = await import("./heavy.js");
      exitCode = await runSchemaCommand(io);
    });

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: CliIO): number {
  if (error instanceof CommanderError) {
    // Help and version are "errors" under exitOverride; everything else is a usage error.
    if (error.exitCode === 0) return ExitCode.ok;
    return ExitCode.usage;
  }
  if (error instanceof UserError) {
    const c = colorsFor(io.stderr, io.env);
    const style = { location: c.bold, error: (t: string) => c.bold(c.red(t)), hint: c.cyan, dim: c.dim };
    for (const d of sortDiagnostics(error.diagnostics)) io.stderr.write(`${formatDiagnostic(d, style)}\n`);
    const n = error.diagnostics.length;
    if (n > 1) io.stderr.write(`${n} problems found; nothing was started\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`mirrord-up: internal error: ${message}\n`);
  if (io.env.MIRRORD_UP_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  else io.stderr.write("(set MIRRORD_UP_DEBUG=1 for details, and please report this)\n");
  return ExitCode.internal;
}

/** How long queued output may take to reach its reader before mirrord-up exits anyway. */
const FLUSH_LIMIT_MS = 750;

/**
 * A closed terminal leaves fds 0-2 hung up: every write fails with EIO, and so does Node's
 * restoring of the terminal's settings at exit, which it asserts on (a crash with a core dump
 * instead of our exit code). Node skips that step for an fd that is closed, so hung-up
 * terminals are closed first; a terminal that is still there keeps its settings restored.
 */
function releaseHungUpTerminals(wereTerminals: readonly boolean[]): void {
  wereTerminals.forEach((wasTerminal, fd) => {
    if (!wasTerminal || isatty(fd)) return;
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  });
}

/** The process entry point. */
export async function main(): Promise<void> {
  const wereTerminals = [0, 1, 2].map((fd) => isatty(fd));
  // A write error on stderr (a closed terminal: EIO) must not become an uncaught exception;
  // stdout's errors are handled where it is written.
  process.stderr.on("error", () => {});
  const io = await processIO();
  const code = await runCli(process.argv.slice(2), io);
  // Exit explicitly: an abandoned request to an unreachable API server must not keep the process
  // alive. But first let queued output reach its reader: a large write to a pipe can still be
  // pending here, and exiting would cut it off. A reader that never reads (`| less` left alone)
  // must not keep mirrord-up alive either: after FLUSH_LIMIT_MS what is left is dropped.
  const flushedInTime = await Promise.race([
    Promise.all([flushed(process.stdout), flushed(process.stderr)]).then(() => true),
    new Promise<false>((resolve) => setTimeout(resolve, FLUSH_LIMIT_MS, false).unref()),
  ]);
  if (!flushedInTime && process.stdout.writableLength > 0) {
    process.stderr.write(
      `mirrord-up: the output is not being read; ${process.stdout.writableLength} bytes were not written\n`,
    );
  }
  releaseHungUpTerminals(wereTerminals);
  process.exit(code);
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => stream.write("", () => resolve()));
}
