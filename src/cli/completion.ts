/**
 * Completion scripts for bash, zsh and fish, generated from the program's own definitions: its
 * commands, their options (which take a value, which a path, which a fixed choice) and their
 * arguments. Nothing here lists a command or a flag. Service names are read from the file each
 * time they are completed, by running `mirrord-up config --services` with the `-f` and `-k`
 * typed so far, so they follow the file as it changes.
 *
 * bash and zsh share one parser of the command line (plain POSIX-like shell that both run); fish
 * gets its own, with fish's `complete` lines for options and descriptions.
 */
import type { Command, Option } from "commander";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

interface OptionSpec {
  /** `-f`, `--config-file`. */
  names: string[];
  takesValue: boolean;
  choices: readonly string[];
  /** Its value is a path (`<path>`, `<file>`, `<dir>`). */
  path: boolean;
  /** commander's attribute: `configFile` and `key` are what service names are read with. */
  attribute: string;
  description: string;
}

interface CommandSpec {
  /** Empty for what comes before any command. */
  name: string;
  description: string;
  options: OptionSpec[];
  /** Its arguments are services (`many`), its first is one (`one`), or none are. */
  services: "many" | "one" | "none";
  /** The fixed values of its first argument (`completion bash`). */
  choices: readonly string[];
}

function optionSpec(option: Option): OptionSpec {
  const placeholder = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1] ?? "";
  return {
    names: [option.short, option.long].filter((n): n is string => n !== undefined),
    takesValue: option.required || option.optional,
    choices: option.argChoices ?? [],
    path: /path|file|dir/.test(placeholder),
    attribute: option.attributeName(),
    description: option.description,
  };
}

/** The program as completion sees it: first what comes before a command, then each command. */
function specOf(program: Command): CommandSpec[] {
  const help = program.createHelp();
  const options = (c: Command) => help.visibleOptions(c).map(optionSpec);
  const before: CommandSpec = {
    name: "",
    description: program.description(),
    options: options(program),
    // `mirrord-up api web` is `mirrord-up up api web`.
    services: "many",
    choices: [],
  };
  return [
    before,
    ...help.visibleCommands(program).flatMap((c): CommandSpec[] => {
      if (c.name() === "help") return [];
      const [first] = c.registeredArguments;
      const takes = first !== undefined && /^services?$/.test(first.name());
      return [
        {
          name: c.name(),
          description: c.description(),
          options: options(c),
          services: takes ? (first.variadic ? "many" : "one") : "none",
          choices: first?.argChoices ?? [],
        },
      ];
    }),
  ];
}

export function completionScript(shell: Shell, program: Command): string {
  const specs = specOf(program);
  const name = program.name();
  switch (shell) {
    case "bash":
      return bashScript(name, specs);
    case "zsh":
      return zshScript(name, specs);
    case "fish":
      return fishScript(name, specs);
  }
}

// bash and zsh

/** A single-quoted sh word. */
const sq = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

const names = (options: readonly OptionSpec[], keep: (o: OptionSpec) => boolean) =>
  options.filter(keep).flatMap((o) => o.names);

/** `fn CMD [OPTION]` sets REPLY to a space-separated list, by a `case` over the generated data. */
function shLookup(fn: string, entries: [key: string, words: readonly string[]][]): string {
  const rows = entries
    .filter(([, words]) => words.length > 0)
    .map(([key, words]) => `    ${sq(key)}) REPLY=${sq(words.join(" "))} ;;`);
  return [`${fn}() {`, '  case "$1 $2" in', ...rows, "    *) REPLY= ;;", "  esac", "}"].join("\n");
}

/** The per-command lookups of the scripts: each function's name, and what it lists. */
const LOOKUPS: [string, (s: CommandSpec) => readonly string[]][] = [
  ["__mirrord_up_options", (s) => names(s.options, () => true)],
  ["__mirrord_up_value_options", (s) => names(s.options, (o) => o.takesValue)],
  ["__mirrord_up_path_options", (s) => names(s.options, (o) => o.path)],
  ["__mirrord_up_file_options", (s) => names(s.options, (o) => o.attribute === "configFile")],
  ["__mirrord_up_key_options", (s) => names(s.options, (o) => o.attribute === "key")],
  ["__mirrord_up_services_taken", (s) => (s.services === "none" ? [] : [s.services])],
  ["__mirrord_up_argument_choices", (s) => s.choices],
];

/** The data and the parser bash and zsh share: sets what to offer for the word being completed. */
function shCore(program: string, specs: readonly CommandSpec[]): string {
  const perCommand = (pick: (s: CommandSpec) => readonly string[]) =>
    specs.map((s) => [`${s.name} `, pick(s)] as [string, readonly string[]]);
  const choices = specs.flatMap((s) =>
    s.options.flatMap((o) =>
      o.names.map((n) => [`${s.name} ${n}`, o.choices] as [string, readonly string[]]),
    ),
  );
  const commands = specs.filter((s) => s.name !== "").map((s) => s.name);
  return `# ${program} completion: generated by \`${program} completion\` from its own definitions.
# Service names are read from the file when completing: \`${program} config --services\`.

__mirrord_up_commands=${sq(commands.join(" "))}
${LOOKUPS.map(([fn, pick]) => shLookup(fn, perCommand(pick))).join("\n")}
${shLookup("__mirrord_up_choices", choices)}

# Reads the words before the one being completed (without the program's name) and sets:
# __mu_command (empty before one), __mu_with (the -f/-k given, for reading service names),
# __mu_pending (the option whose value is being completed), __mu_positionals, __mu_dashdash.
__mirrord_up_parse() {
  __mu_command= __mu_pending= __mu_dashdash= __mu_positionals=0
  __mu_with=()
  local w
  for w in "$@"; do
    if [[ -n $__mu_pending ]]; then
      __mirrord_up_file_options "$__mu_command"
      case " $REPLY " in *" $__mu_pending "*) __mu_with+=(--config-file "$w") ;; esac
      __mirrord_up_key_options "$__mu_command"
      case " $REPLY " in *" $__mu_pending "*) __mu_with+=(--key "$w") ;; esac
      __mu_pending=
      continue
    fi
    if [[ -n $__mu_dashdash ]]; then
      __mu_positionals=$((__mu_positionals + 1))
      continue
    fi
    case $w in
      --) __mu_dashdash=1 ;;
      --config-file=*) __mu_with+=("$w") ;;
      --key=*) __mu_with+=("$w") ;;
      -*)
        __mirrord_up_value_options "$__mu_command"
        case " $REPLY " in *" $w "*) __mu_pending=$w ;; esac
        ;;
      *)
        if [[ -n $__mu_command ]]; then
          __mu_positionals=$((__mu_positionals + 1))
        else
          case " $__mirrord_up_commands " in
            *" $w "*) __mu_command=$w ;;
            *) __mu_command=up __mu_positionals=1 ;;
          esac
        fi
        ;;
    esac
  done
}

# What to offer for the word $1: __mu_words (a list), __mu_services, __mu_paths (1 or empty).
__mirrord_up_offer() {
  __mu_words= __mu_services= __mu_paths=
  if [[ -n $__mu_pending ]]; then
    __mirrord_up_choices "$__mu_command" "$__mu_pending"
    __mu_words=$REPLY
    __mirrord_up_path_options "$__mu_command"
    case " $REPLY " in *" $__mu_pending "*) __mu_paths=1 ;; esac
    return
  fi
  if [[ -n $__mu_dashdash ]]; then
    __mu_paths=1
    return
  fi
  case $1 in
    -*)
      __mirrord_up_options "$__mu_command"
      __mu_words=$REPLY
      return
      ;;
  esac
  if [[ -z $__mu_command ]]; then
    __mu_words=$__mirrord_up_commands __mu_services=1
    return
  fi
  __mirrord_up_services_taken "$__mu_command"
  case $REPLY in
    many) __mu_services=1 ;;
    one) [[ $__mu_positionals -eq 0 ]] && __mu_services=1 ;;
  esac
  if [[ $__mu_positionals -eq 0 ]]; then
    __mirrord_up_argument_choices "$__mu_command"
    __mu_words=$REPLY
  fi
}

# The file's service names, one a line, in REPLY; $1 is the program as typed.
__mirrord_up_service_names() {
  REPLY=$(command "$1" config --services "\${__mu_with[@]}" 2>/dev/null)
}
`;
}

function bashScript(program: string, specs: readonly CommandSpec[]): string {
  return `${shCore(program, specs)}
_mirrord_up() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  __mirrord_up_parse "\${COMP_WORDS[@]:1:COMP_CWORD-1}"
  __mirrord_up_offer "$cur"
  COMPREPLY=()
  local IFS=$' \\t\\n'
  [[ -n $__mu_words ]] && COMPREPLY+=($(compgen -W "$__mu_words" -- "$cur"))
  if [[ -n $__mu_services ]]; then
    __mirrord_up_service_names "\${COMP_WORDS[0]}"
    COMPREPLY+=($(compgen -W "$REPLY" -- "$cur"))
  fi
  [[ -n $__mu_paths ]] && COMPREPLY+=($(compgen -f -- "$cur"))
  return 0
}
complete -o bashdefault -o default -F _mirrord_up ${program}
`;
}

function zshScript(program: string, specs: readonly CommandSpec[]): string {
  return `#compdef ${program}
${shCore(program, specs)}
_mirrord_up() {
  local cur=\${words[CURRENT]}
  __mirrord_up_parse "\${(@)words[2,CURRENT-1]}"
  __mirrord_up_offer "$cur"
  [[ -n $__mu_words ]] && compadd -- \${=__mu_words}
  if [[ -n $__mu_services ]]; then
    __mirrord_up_service_names "\${words[1]}"
    compadd -- \${(f)REPLY}
  fi
  [[ -n $__mu_paths ]] && _files
  return 0
}
compdef _mirrord_up ${program}
`;
}

// fish

/** A single-quoted fish word. */
const fq = (text: string) => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

/** `fn CMD` prints a list, one a line, by a `switch` over the generated data. */
function fishLookup(fn: string, entries: [key: string, words: readonly string[]][]): string {
  const rows = entries
    .filter(([, words]) => words.length > 0)
    .flatMap(([key, words]) => [
      `        case ${fq(key)}`,
      `            printf '%s\\n' ${words.map(fq).join(" ")}`,
    ]);
  return [`function ${fn}`, '    switch "$argv[1]"', ...rows, "    end", "end"].join("\n");
}

function fishScript(program: string, specs: readonly CommandSpec[]): string {
  const perCommand = (pick: (s: CommandSpec) => readonly string[]) =>
    specs.map((s) => [s.name, pick(s)] as [string, readonly string[]]);
  const commands = specs.filter((s) => s.name !== "");
  const lines: string[] = [];
  for (const c of commands) {
    lines.push(`complete -c ${program} -n '__mirrord_up_is ""' -a ${fq(c.name)} -d ${fq(c.description)}`);
  }
  for (const s of specs) {
    const when = `-n ${fq(`__mirrord_up_is ${fq(s.name)}`)}`;
    for (const o of s.options) {
      const flags = o.names
        .map((n) => (n.startsWith("--") ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`))
        .join(" ");
      const value =
        o.choices.length > 0
          ? ` -x -a ${fq(o.choices.join(" "))}`
          : o.path
            ? " -r -F"
            : o.takesValue
              ? " -x"
              : "";
      lines.push(`complete -c ${program} ${when} ${flags}${value} -d ${fq(o.description)}`);
    }
    if (s.choices.length > 0) {
      lines.push(
        `complete -c ${program} -n ${fq(`__mirrord_up_is ${fq(s.name)}; and __mirrord_up_first`)} -a ${fq(s.choices.join(" "))}`,
      );
    }
  }
  return `# ${program} completion: generated by \`${program} completion fish\` from its own definitions.
# Service names are read from the file when completing: \`${program} config --services\`.

set -g __mirrord_up_commands ${commands.map((c) => fq(c.name)).join(" ")}
${LOOKUPS.map(([fn, pick]) => fishLookup(fn, perCommand(pick))).join("\n")}

# The words before the cursor: sets __mu_command (empty before one), __mu_with (the -f/-k given),
# __mu_positionals and __mu_dashdash.
function __mirrord_up_parse
    set -g __mu_command ''
    set -g __mu_with
    set -g __mu_positionals 0
    set -g __mu_dashdash 0
    set -l pending ''
    for w in (commandline -opc)[2..-1]
        if test -n "$pending"
            contains -- $pending (__mirrord_up_file_options $__mu_command); and set -a __mu_with --config-file $w
            contains -- $pending (__mirrord_up_key_options $__mu_command); and set -a __mu_with --key $w
            set pending ''
            continue
        end
        if test $__mu_dashdash = 1
            set __mu_positionals (math $__mu_positionals + 1)
            continue
        end
        switch $w
            case --
                set __mu_dashdash 1
            case '--config-file=*' '--key=*'
                set -a __mu_with $w
            case '-*'
                contains -- $w (__mirrord_up_value_options $__mu_command); and set pending $w
            case '*'
                if test -n "$__mu_command"
                    set __mu_positionals (math $__mu_positionals + 1)
                else if contains -- $w $__mirrord_up_commands
                    set __mu_command $w
                else
                    set __mu_command up
                    set __mu_positionals 1
                end
        end
    end
end

function __mirrord_up_is
    __mirrord_up_parse
    test $__mu_dashdash = 0; and test "$__mu_command" = "$argv[1]"
end

function __mirrord_up_first
    test $__mu_positionals = 0
end

function __mirrord_up_wants_services
    __mirrord_up_parse
    test $__mu_dashdash = 0; or return 1
    test -z "$__mu_command"; and return 0
    set -l taken (__mirrord_up_services_taken $__mu_command)
    switch "$taken"
        case many
            return 0
        case one
            test $__mu_positionals = 0
        case '*'
            return 1
    end
end

function __mirrord_up_after_dashdash
    __mirrord_up_parse
    test $__mu_dashdash = 1
end

function __mirrord_up_services
    set -l program (commandline -opc)[1]
    command $program config --services $__mu_with 2>/dev/null
end

complete -c ${program} -f
complete -c ${program} -n __mirrord_up_wants_services -a '(__mirrord_up_services)'
complete -c ${program} -n __mirrord_up_after_dashdash -F
${lines.join("\n")}
`;
}
