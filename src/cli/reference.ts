/**
 * What is generated from the commands' own definitions (`npm run cli-files`), kept equal to its
 * committed file by test/cli-reference.test.ts: docs/cli.md, the command and flag reference.
 */
import type { Argument, Command, Help, Option } from "commander";
import type { CommandContext } from "./commands/context.js";
import { GLOBAL_OPTIONS } from "./commands/options.js";
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
    "and one the command does not take is a usage error, except the global options below.",
    "",
    ...optionRows(help.visibleOptions(program), help),
    "",
    "## Global options",
    "",
    "Every command takes these, before its name or after it (where the command does not use the",
    "letter itself: `logs -f` is `--follow`); a command that has no use for one ignores it.",
    "",
    "| command | uses | ignores |",
    "| --- | --- | --- |",
    ...commands.map((c) => {
      const globals = c.options.filter((o) => GLOBAL_OPTIONS.includes(o.attributeName()));
      const names = (hidden: boolean) =>
        globals
          .filter((o) => o.hidden === hidden)
          .map((o) => code([o.short, o.long].filter(Boolean).join(", ")))
          .join(", ");
      return `| \`${c.name()}\` | ${names(false)} | ${names(true)} |`;
    }),
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

/** Where the README's table of commands starts and ends (the lines themselves stay). */
const README_COMMANDS_START = "<!-- commands: written by `npm run cli-files` from src/cli/commands/ -->";
const README_COMMANDS_END = "<!-- end of commands -->";

/** The README's table of commands: each command's usage and description, as `--help` gives them. */
export function readmeCommands(program = definedProgram()): string {
  const rows = program.commands.map((c) => {
    const usage = c.usage().replace(/^\[options\] ?/, "");
    return `| ${code(`mirrord-up ${c.name()}${usage ? ` ${usage}` : ""}`)} | ${cell(c.description())} |`;
  });
  return ["| command | what it does |", "| --- | --- |", ...rows].join("\n");
}

/** `readme` with its table of commands replaced by `table`. */
export function withReadmeCommands(readme: string, table: string): string {
  const start = readme.indexOf(README_COMMANDS_START);
  const end = readme.indexOf(README_COMMANDS_END);
  if (start < 0 || end < start) throw new Error("README.md has lost the markers of its table of commands");
  return `${readme.slice(0, start + README_COMMANDS_START.length)}\n\n${table}\n\n${readme.slice(end)}`;
}
