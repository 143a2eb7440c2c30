/**
 * Commander's own usage errors (an unknown option, a missing argument, too many arguments) said
 * the way every other error is: `error: …` and, on its own line, `hint: …`, exit 2. Commander
 * prints nothing itself (`outputError` is silent); the command whose parsing failed rides along
 * with the error, so the hint can name its options and its `--help`.
 */
import type { Command, CommanderError, Option } from "commander";
import type { Diagnostic } from "../core/errors.js";
import { suggest } from "../core/suggest.js";

/** Commander's error (help and version are "errors" too, with exit code 0) and its command. */
export class CommandLineError extends Error {
  constructor(
    readonly error: CommanderError,
    readonly command: Command,
  ) {
    super(error.message);
    this.name = "CommandLineError";
  }
}

/** For `exitOverride`: every exit of `command` (help included) becomes a `CommandLineError`. */
export function throwCommandLineError(command: Command): (error: CommanderError) => never {
  return (error) => {
    throw new CommandLineError(error, command);
  };
}

/** The diagnostic for a usage error; `argv` is the command line as given (without node and script). */
export function usageDiagnostic({ error, command }: CommandLineError, argv: readonly string[]): Diagnostic {
  const [first = "", ...rest] = error.message.replace(/^error: /, "").split("\n");
  const help = `see \`${commandPath(command)} --help\``;
  if (error.code === "commander.unknownOption") {
    const flag = /^unknown option '(.*)'$/.exec(first)?.[1];
    if (flag !== undefined) return unknownOption(flag, command, argv, help);
  }
  // "option '--timeout <seconds>' argument 'x' is invalid. expected a number …": one sentence.
  const invalid = /^(.* is invalid)\. (.*)$/.exec(first);
  if (error.code === "commander.invalidArgument" && invalid) {
    return { message: `${invalid[1]}: ${invalid[2]}`, hint: help };
  }
  // Commander's own suggestion ("(Did you mean validate?)") becomes the hint.
  const meant = rest.map((line) => /^\(Did you mean (.*)\?\)$/.exec(line)?.[1]).find((m) => m !== undefined);
  return {
    message: first.replace(/\.$/, ""),
    hint: meant !== undefined ? `did you mean ${meant}?` : help,
  };
}

/**
 * An option the command does not take. A boolean option given a value (`--follow=false`, or
 * `-f=false`, which Commander reads as `-f` followed by the unknown `-=false`) is said as such.
 */
function unknownOption(flag: string, command: Command, argv: readonly string[], help: string): Diagnostic {
  // Options are positional: after a command name only that command's own apply.
  const options: readonly Option[] = command.options;
  const given = givenWithValue(flag, argv);
  if (given) {
    const option = options.find((o) => o.long === given.name || o.short === given.name);
    if (option && !option.required && !option.optional) {
      const off = options.find((o) => o.negate && o.attributeName() === option.attributeName());
      const hint = option.negate
        ? `write ${given.name} alone; leave it out for the default`
        : `write ${given.name} alone to turn it on; ${off ? `${off.long} to turn it off` : "leave it out for off"}`;
      return { message: `option '${option.flags}' takes no value (got '${given.token}')`, hint };
    }
  }
  const name = given?.name ?? flag;
  const close = name.startsWith("--")
    ? suggest(
        name,
        options.filter((o) => !o.hidden && o.long).map((o) => o.long as string),
      )
    : undefined;
  return {
    message: `unknown option '${flag}' for \`${commandPath(command)}\``,
    hint: close ? `did you mean ${close}?` : help,
  };
}

/**
 * The option and the token it came from when `flag` is an option given with `=value`:
 * `--follow=false` as such, `-=false` from a token ending in `f=false` (Commander took `-f`).
 */
function givenWithValue(flag: string, argv: readonly string[]): { name: string; token: string } | undefined {
  if (flag.startsWith("--")) {
    const equals = flag.indexOf("=");
    return equals > 2 ? { name: flag.slice(0, equals), token: flag } : undefined;
  }
  if (!flag.startsWith("-=")) return undefined;
  const tail = flag.slice(1);
  const token = argv.find((t) => /^-[^-]/.test(t) && t.length > tail.length + 1 && t.endsWith(tail));
  return token ? { name: `-${token[token.length - tail.length - 1]}`, token } : undefined;
}

/** `mirrord-up logs`: the command as typed. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}
