/** Options and value parsers that several commands share. */
import { type Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_CONFIG_FILE } from "../../config/default-file.js";
import type { Mode } from "../../plan/assemble.js";
import type { ConfigFlags } from "../prepare.js";

export interface RawConfigFlags {
  configFile: string;
  key?: string;
  mode?: Mode;
  context?: string;
}

/** `--config-file`, and `-f` unless the command uses `-f` itself (`logs -f` is --follow). */
const configFileOption = ({ short = true } = {}) =>
  new Option(`${short ? "-f, " : ""}--config-file <path>`, "the mirrord-up config file").default(
    DEFAULT_CONFIG_FILE,
  );

/** The options of the commands that read the config file; `mode: false` leaves out --mode and --context. */
export function withConfigOptions(command: Command, { mode = true } = {}): Command {
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

/**
 * The options of the commands that steer a running `up`: `-f` finds it (`short: false` where the
 * command uses `-f` itself), `-k` and `--context` are checked against it.
 */
export function withRunOptions(command: Command, { short = true } = {}): Command {
  return command
    .addOption(configFileOption({ short }))
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
  return { configFile: raw.configFile, key: raw.key, mode: raw.mode, context: raw.context };
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
