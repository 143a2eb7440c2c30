/** Options and value parsers that several commands share. */
import { statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_CONFIG_FILE, findConfigFile } from "../../config/default-file.js";
import { UserError } from "../../core/errors.js";
import type { Mode } from "../../plan/assemble.js";
import type { CliIO } from "../io.js";
import type { ConfigFlags } from "../prepare.js";

export interface RawConfigFlags {
  configFile: string;
  projectDirectory?: string;
  key?: string;
  mode?: Mode;
  context?: string;
}

/** `--config-file`, and `-f` unless the command uses `-f` itself (`logs -f` is --follow). */
export const configFileOption = ({ short = true } = {}) =>
  new Option(
    `${short ? "-f, " : ""}--config-file <path>`,
    "the mirrord-up config file; when not given, looked for in the project directory, then in each parent",
  ).default(DEFAULT_CONFIG_FILE);

/** `--project-directory`: where services run and the file's relative paths start, as in compose. */
const projectDirectoryOption = () =>
  new Option(
    "--project-directory <dir>",
    "where services run and relative paths in the file start (default: the config file's directory)",
  );

/**
 * Settles `--project-directory` and `-f` before a command that has them runs: the directory made
 * absolute (it must exist), and without `-f` the file looked for in it (else in the current
 * directory), then in each parent. A file found elsewhere than the current directory is named on
 * stderr; the command then uses that path as if it had been given with `-f`.
 */
export function settleConfigFile(command: Command, io: CliIO): void {
  if (!command.options.some((o) => o.attributeName() === "configFile")) return;
  const given = command.getOptionValue("projectDirectory") as string | undefined;
  const projectDir = given === undefined ? undefined : existingDirectory(given, io.cwd);
  if (projectDir !== undefined) command.setOptionValue("projectDirectory", projectDir);
  if (command.getOptionValueSource("configFile") !== "default") return;
  const start = projectDir ?? io.cwd;
  const found = findConfigFile(start);
  if (found === undefined) {
    // Not found anywhere: the reader names the place it was expected first.
    if (projectDir !== undefined) command.setOptionValue("configFile", join(projectDir, DEFAULT_CONFIG_FILE));
    return;
  }
  if (dirname(found) === io.cwd) return;
  io.stderr.write(`mirrord-up: using ${found}\n`);
  command.setOptionValueWithSource("configFile", found, "found");
}

function existingDirectory(given: string, cwd: string): string {
  const dir = resolve(cwd, given);
  let problem: string | undefined;
  try {
    if (!statSync(dir).isDirectory()) problem = "is not a directory";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problem = code === "ENOENT" || code === "ENOTDIR" ? "does not exist" : `cannot be used (${code})`;
  }
  if (problem) throw new UserError({ message: `--project-directory: ${given} ${problem}` });
  return dir;
}

/** The options of the commands that read the config file; `mode: false` leaves out --mode and --context. */
export function withConfigOptions(command: Command, { mode = true } = {}): Command {
  command
    .addOption(configFileOption())
    .addOption(projectDirectoryOption())
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

/**
 * The options of the commands that steer a running `up`: `-f` finds it (`short: false` where the
 * command uses `-f` itself), `-k` and `--context` are checked against it.
 */
export function withRunOptions(command: Command, { short = true } = {}): Command {
  return command
    .addOption(configFileOption({ short }))
    .addOption(projectDirectoryOption())
    .option("-k, --key <key>", "refuse unless the running up uses this session key")
    .option("--context <name>", "refuse unless the running up was started with this --context");
}

/**
 * docker compose's global options, by attribute name: every command takes them, before its name
 * or after it, so that an alias (`alias mu='mirrord-up -f dev.yaml -k me'`) works with every
 * command. A command that does not use one accepts it and ignores it (`acceptGlobalOptions`).
 */
export const GLOBAL_OPTIONS = ["configFile", "key", "context", "projectDirectory", "color"];

/**
 * Gives `command` a hidden copy of each global option of `program` it does not declare; the copy
 * has no short flag where the command uses that letter itself (`logs -f` is --follow).
 */
export function acceptGlobalOptions(program: Command, command: Command): void {
  const declared = (flag: string | undefined) =>
    flag !== undefined && command.options.some((o) => o.short === flag || o.long === flag);
  for (const global of program.options) {
    const name = global.attributeName();
    if (!GLOBAL_OPTIONS.includes(name) || command.options.some((o) => o.attributeName() === name)) continue;
    if (declared(global.long)) continue;
    const flags = declared(global.short) ? global.flags.replace(/^-\w,\s*/, "") : global.flags;
    const copy = new Option(flags, global.description).hideHelp();
    if (global.defaultValue !== undefined) copy.default(global.defaultValue, global.defaultValueDescription);
    if (global.parseArg) copy.argParser(global.parseArg);
    if (global.argChoices) copy.choices(global.argChoices);
    command.addOption(copy);
  }
}

export function configFlags(raw: RawConfigFlags): ConfigFlags {
  return {
    configFile: raw.configFile,
    projectDirectory: raw.projectDirectory,
    key: raw.key,
    mode: raw.mode,
    context: raw.context,
  };
}

export const dashboardPortOption = () =>
  new Option("--dashboard-port <port>", "the dashboard's port on 127.0.0.1 (default: a free one)").argParser(
    parsePort,
  );

function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError("expected a port number");
  return Number(value);
}

export const mirrordBinOption = () =>
  new Option("--mirrord-bin <path>", "the mirrord executable (default: $MIRRORD_BIN, else mirrord on PATH)");

/** `-t`: how long what is stopped gets between SIGTERM and SIGKILL. */
export const timeoutOption = () =>
  new Option("-t, --timeout <seconds>", "grace period between SIGTERM and SIGKILL when stopping")
    .argParser(parseSeconds)
    .default(10);

export const noInteractiveOption = () =>
  new Option("--no-interactive", "never prompt; a target that cannot be inferred is an error");

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(seconds)) {
    throw new InvalidArgumentError("expected a number of seconds, e.g. 10 or 2.5");
  }
  return seconds;
}

/** `--request-timeout`: the bound of each cluster request `doctor` (and `up --preflight`) makes. */
export const requestTimeoutOption = () =>
  new Option("--request-timeout <seconds>", "how long each cluster request may take")
    .argParser((value: string) => {
      const seconds = Number(value);
      if (!/^\d+(\.\d+)?$/.test(value) || !(seconds > 0)) {
        throw new InvalidArgumentError("expected a number of seconds above 0, e.g. 5 or 0.5");
      }
      return seconds;
    })
    .default(5);
