/**
 * Composes the program from the commands (`commands/index.ts`, each one file: flags, help and
 * handler) and maps errors to exit codes. `runCli` is the whole program minus the process;
 * `bin/mirrord-up.js` calls `main()`.
 *
 * Options may come before the subcommand too, as with docker compose (`mirrord-up -f x.yaml -k me
 * config`): the program declares `up`'s options as well, and a `preAction` hook hands each one
 * given there to the subcommand (one given after the subcommand wins). Every command takes the
 * global options (`-f`, `-k`, `--context`, `--no-color`, ...; `acceptGlobalOptions`); any other
 * option the subcommand does not take is a usage error rather than silently ignored. A docker
 * compose option mirrord-up does not have (`-d`) is answered with what to do instead. Then, for the
 * commands that name a config file, `settleConfigFile` finds it when `-f` is not given.
 *
 * The commands that read the config file (and so load YAML, zod and the template engine) import
 * `heavy.ts` when they run: `ps`, `logs` and the other control commands start without it.
 */
import { closeSync } from "node:fs";
import { isatty } from "node:tty";
import { Command } from "commander";
import { colorsFor } from "../core/colors.js";
import {
  ExitCode,
  formatDiagnostic,
  sortDiagnostics,
  UserError,
  writeInternalError,
} from "../core/errors.js";
import type { CommandContext } from "./commands/context.js";
import { COMMANDS } from "./commands/index.js";
import { acceptGlobalOptions, settleConfigFile } from "./commands/options.js";
import { withUpOptions } from "./commands/up.js";
import { composeOptionProblem, withComposeOptions } from "./compose-words.js";
import { type CliIO, processIO } from "./io.js";
import { CommandLineError, throwCommandLineError, usageDiagnostic } from "./usage-errors.js";

const VERSION = "0.1.0";

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
      action.error(`option '${option.flags}' does not apply to \`mirrord-up ${action.name()}\``, {
        exitCode: ExitCode.usage,
        code: "mirrord-up.inapplicableOption",
      });
    }
    // Given after the subcommand as well: that one is the nearer, and wins.
    if (action.getOptionValueSource(key) === "cli") continue;
    action.setOptionValueWithSource(key, program.getOptionValue(key), "cli");
  }
}

/** The program with every command; what `--help`, docs/cli.md and the bin file are made from. */
export function cliProgram(ctx: CommandContext): Command {
  const program: Command = new Command("mirrord-up")
    .description("docker compose for mirrord: run several mirrord sessions from one mirrord-up.yaml")
    .usage("[options] [command] [SERVICE...]")
    .version(VERSION, "-V, --version")
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
      // Said by `reportError`, as every other error is.
      outputError: () => {},
    })
    .addHelpText("after", EXAMPLES);
  program.exitOverride(throwCommandLineError(program));
  // The program's own copies; only those given on the command line are handed on.
  withUpOptions(program);
  withComposeOptions(program);
  program.hook("preAction", (_program, action) => {
    const problem = composeOptionProblem(program) ?? composeOptionProblem(action);
    if (problem) throw problem;
    applyLeadingOptions(program, action);
    settleConfigFile(action, ctx.io);
  });
  COMMANDS.forEach((make, i) => {
    // What `program.command()` would copy: exitOverride, the output, suggestions.
    const command = make(ctx).copyInheritedSettings(program);
    command.exitOverride(throwCommandLineError(command));
    acceptGlobalOptions(program, command);
    withComposeOptions(command);
    program.addCommand(command, { isDefault: i === 0 });
  });
  return program;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = cliProgram({
    io,
    setExitCode: (code) => {
      exitCode = code;
    },
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    return reportError(error, argv, io);
  }
}

function reportError(error: unknown, argv: readonly string[], io: CliIO): number {
  if (error instanceof CommandLineError) {
    // Help and version are "errors" under exitOverride; everything else is a usage error.
    if (error.error.exitCode === 0) return ExitCode.ok;
    return reportError(new UserError(usageDiagnostic(error, argv)), argv, io);
  }
  if (error instanceof UserError) {
    const c = colorsFor(io.stderr, io.env);
    const style = { location: c.bold, error: (t: string) => c.bold(c.red(t)), hint: c.cyan, dim: c.dim };
    for (const d of sortDiagnostics(error.diagnostics)) io.stderr.write(`${formatDiagnostic(d, style)}\n`);
    const n = error.diagnostics.length;
    if (n > 1) io.stderr.write(`${n} problems found; nothing was started\n`);
    return error.exitCode;
  }
  writeInternalError(error, io.stderr, io.env);
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

/**
 * For `npm run build` only: runs `argv` as `main` does, then writes the code cache of the bundles
 * it loaded (load-bundle.ts). Exits 0, or 1 when the command failed or loaded no bundle.
 */
export async function writeCodeCacheAfter(argv: string[]): Promise<never> {
  const code = await runCli(argv, await processIO());
  // Imported here, not at the top: no other command loads node:vm before it needs the bundle.
  const { writeCodeCaches } = await import("./load-bundle.js");
  const written = code === 0 ? writeCodeCaches() : [];
  process.stderr.write(
    written.length > 0 ? `code cache: ${written.join(", ")}\n` : `code cache: not written (exit ${code})\n`,
  );
  process.exit(written.length > 0 ? 0 : 1);
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => stream.write("", () => resolve()));
}
