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
export const configFileOption = ({ short = true } = {}) =>
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
