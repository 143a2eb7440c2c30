/**
 * What is generated from the commands' own definitions (`npm run cli-files`), each kept equal to
 * its committed file by test/cli-reference.test.ts: docs/cli.md, the command and flag reference,
 * and bin/mirrord-up.js, whose first line must know which commands are not `up`.
 */
import type { Argument, Command, Help, Option } from "commander";
import type { CommandContext } from "./commands/context.js";
import type { CliIO } from "./io.js";
import { cliProgram } from "./main.js";

/** The program as defined; nothing is run, so nothing needs the outside world. */
function definedProgram(): Command {
  const ctx: CommandContext = {
    get io(): CliIO {
      throw new Error("only the definitions are read here; no command runs");
    },
    setExitCode() {},
  };
  return cliProgram(ctx);
}

/** The words that start a command other than the default one (`up`, first in COMMANDS), `help` included. */
export function commandsOtherThanUp(program = definedProgram()): string[] {
  const [, ...others] = program.createHelp().visibleCommands(program);
  return others.flatMap((c) => [c.name(), ...c.aliases()]);
}

/** A table cell: a `|` would end it, and in text (not in code) `<word>` would be taken for HTML. */
const code = (text: string) => `\`${text.replaceAll("|", "\\|")}\``;
const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("<", "\\<").replaceAll("\n", " ");

function optionRows(options: readonly Option[], help: Help): string[] {
  const rows = ["| option | description | default |", "| --- | --- | --- |"];
  for (const o of options) {
    const choices = o.argChoices ? ` (one of: ${o.argChoices.join(", ")})` : "";
    const fallback =
      o.defaultValueDescription ?? (o.defaultValue === undefined ? "" : JSON.stringify(o.defaultValue));
    rows.push(
      `| ${code(help.optionTerm(o))} | ${cell(o.description + choices)} | ${fallback ? code(fallback) : ""} |`,
    );
  }
  return rows;
}

function argumentRows(args: readonly Argument[]): string[] {
  const rows = ["| argument | description |", "| --- | --- |"];
  for (const a of args) {
    const term = `${a.name()}${a.variadic ? "..." : ""}`;
    rows.push(`| ${code(a.required ? `<${term}>` : `[${term}]`)} | ${cell(a.description)} |`);
  }
  return rows;
}

/** docs/cli.md: every command with its arguments and options, and the options the program takes first. */
export function cliReference(program = definedProgram()): string {
  const help = program.createHelp();
  const [defaultCommand] = program.commands;
  const commands = program.commands;
  const out = [
    "# mirrord-up command reference",
    "",
    "<!-- Generated from src/cli/commands/ by `npm run cli-files`; a test keeps it equal. Do not edit. -->",
    "",
    program.description(),
    "",
    "```",
    `mirrord-up ${program.usage()}`,
    "```",
    "",
    `Without a command, or with services first, the command is \`${defaultCommand?.name()}\`.`,
    "",
    "| command | description |",
    "| --- | --- |",
    ...commands.map((c) => `| [\`${c.name()}\`](#${c.name()}) | ${cell(c.description())} |`),
    "",
    "## Options before the command",
    "",
    "The options of `up`, taken before any command too: one given there is handed to the command,",
    "and one the command does not take is a usage error.",
    "",
    ...optionRows(help.visibleOptions(program), help),
  ];
  for (const c of commands) {
    out.push(
      "",
      `## ${c.name()}`,
      "",
      "```",
      `mirrord-up ${c.name()} ${c.usage()}`,
      "```",
      "",
      c.description(),
    );
    const args = help.visibleArguments(c);
    if (args.length > 0) out.push("", ...argumentRows(args));
    out.push("", ...optionRows(help.visibleOptions(c), help));
  }
  return `${out.join("\n")}\n`;
}

/** bin/mirrord-up.js: `up` (named or not) gets Node's flags for a long run, the other commands none. */
export function binFile(others = commandsOtherThanUp()): string {
  return `#!/bin/sh
':' //; case $1 in ${others.join("|")}) exec node "$0" "$@" ;; esac; exec node --v8-pool-size=1 --max-semi-space-size=1 "$0" "$@"
// The line above is for sh (for JavaScript it is a string and a comment): it starts Node the way
// \`up\` uses it best, and works where \`env -S\` does not. One V8 worker thread instead of four: each
// keeps its own malloc arena (~4.5 MiB less for a whole run). A young generation of at most 2 MiB
// instead of up to 32: V8 grows it while the sessions start and gives it back only when idle, so the
// peak stayed ~6 MiB above what a run needs. The other commands run for a moment and start faster
// without a V8 flag (Node's code cache of its own modules is only used under V8's default flags);
// only the first argument is looked at, so \`mirrord-up -f x.yaml ps\` gets the flags (slower only).
// Started as \`node bin/mirrord-up.js\`, the same program runs with Node's defaults. bench/README.md
// has the measurements. The list of commands is written by \`npm run cli-files\` from
// src/cli/commands/: do not edit this file.
// CommonJS (bin/package.json): Node starts it without its ES module loader.
require("../dist/mirrord-up.cjs").main();
`;
}
