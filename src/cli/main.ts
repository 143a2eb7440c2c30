/**
 * Commander wiring only: parse flags, call a command, map errors to exit codes.
 * `runCli` is the whole program minus the process; `bin/mirrord-up.js` calls `main()`.
 */
import { closeSync } from "node:fs";
import { isatty } from "node:tty";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { ExitCode, formatDiagnostic, sortDiagnostics, UserError } from "../config/diagnostics.js";
import { DEFAULT_CONFIG_FILE } from "../config/load.js";
import type { Mode } from "../plan/assemble.js";
import { colorsFor } from "./colors.js";
import { runConfigCommand, runSchemaCommand, runValidateCommand } from "./config-command.js";
import { type CliIO, processIO } from "./io.js";
import type { ConfigFlags } from "./prepare.js";

const VERSION = "0.1.0";

interface RawConfigFlags {
  configFile: string;
  key?: string;
  mode?: Mode;
  context?: string;
}

function withConfigOptions(command: Command, { mode = true } = {}): Command {
  command
    .option("-f, --config-file <path>", "the mirrord-up config file", DEFAULT_CONFIG_FILE)
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

interface RawUpFlags extends RawConfigFlags {
  interactive: boolean;
  mirrordBin?: string;
  ui: boolean;
  timeout: number;
  keepGoing: boolean;
  color: boolean;
  logPrefix: boolean;
  timestamps: boolean;
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(seconds)) {
    throw new InvalidArgumentError("expected a number of seconds, e.g. 10 or 2.5");
  }
  return seconds;
}

function configFlags(raw: RawConfigFlags): ConfigFlags {
  return { configFile: raw.configFile, key: raw.key, mode: raw.mode, context: raw.context };
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = new Command("mirrord-up")
    .description("docker compose for mirrord: run several mirrord sessions from one mirrord-up.yaml")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  withConfigOptions(
    program
      .command("up", { isDefault: true })
      .description("start the selected services (default command)")
      .argument("[services...]", "services to start (default: all not marked skip)"),
  )
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
    .action(async (services: string[], raw: RawUpFlags) => {
      const { runUpCommand } = await import("./up-command.js");
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
    exitCode = await runValidateCommand(configFlags(raw), io);
  });

  program
    .command("init")
    .description("create a mirrord-up.yaml by answering questions (needs a terminal)")
    .option("-o, --output <file>", "the file name offered for saving", DEFAULT_CONFIG_FILE)
    .action(async (raw: { output: string }) => {
      const { runInitCommand } = await import("./init-command.js");
      exitCode = await runInitCommand(raw.output, io);
    });

  program
    .command("schema")
    .description("print the JSON Schema (draft-07) of mirrord-up.yaml, for editors")
    .action(async () => {
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
