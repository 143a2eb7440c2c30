/**
 * docker compose's words that mirrord-up has no equivalent for, each with what to use instead.
 * A habit (`mirrord-up build`, `mirrord-up up -d`) gets that sentence rather than a "did you
 * mean" that would point at a different command (`-d` is not `--watch`).
 */
import { type Command, Option } from "commander";
import { UserError } from "../core/errors.js";

const NO_IMAGES = "mirrord-up has no images: each service runs a command on this machine";

/** Compose commands mirrord-up does not have, and what to do instead. */
const COMPOSE_COMMANDS: Readonly<Record<string, string>> = {
  build: `${NO_IMAGES}; build before you start it, or make the build part of run.command`,
  pull: NO_IMAGES,
  push: NO_IMAGES,
  images: NO_IMAGES,
  create:
    "mirrord-up creates nothing ahead of time: `mirrord-up validate` checks the file, `mirrord-up config` shows what would run",
  exec: "a service is a process on this machine, not a container to enter: run the command in your shell, or with the service's mirrord setup: `mirrord-up run SERVICE -- CMD`",
  attach: "`mirrord-up logs -f SERVICE` follows a service's output",
  cp: "a service's files are this machine's files: copy them with cp",
  port: "mirrord-up publishes no ports: a service listens on this machine where its command says, and mirrord brings it the cluster's traffic",
  pause: "a service cannot be paused: `mirrord-up stop SERVICE`, then `mirrord-up start SERVICE`",
  unpause: "a service cannot be paused: `mirrord-up start SERVICE` starts a stopped one",
  events:
    "the run's events are in the dashboard's Events tab (`mirrord-up dashboard`) and at GET /v1/events on the control socket",
  rm: "a stopped service leaves nothing behind to remove; `mirrord-up down` ends the run",
  ls: "each file has its own run: `mirrord-up ps` (or `mirrord-up -f FILE ps`) shows it",
  scale: "one session per service: to run two, declare two services",
  stats: "`mirrord-up top` shows each service's processes with their CPU and memory",
  version: "`mirrord-up --version`",
  watch:
    "`mirrord-up up --watch` applies edits of the file as they are saved; the services run your code from this machine, so there is nothing to sync",
};

const FRESH =
  "every `mirrord-up` starts new sessions; nothing is left from an earlier run to recreate or remove";

/** Compose options mirrord-up does not have (flags as commander declares them), and what to do instead. */
const COMPOSE_OPTIONS: readonly { flags: string; instead: string }[] = [
  {
    flags: "-d, --detach",
    instead:
      "mirrord-up runs in the foreground, where Ctrl-C stops it; keep it in another terminal (or `mirrord-up &`) and steer it with `mirrord-up ps`, `logs`, `down`",
  },
  { flags: "--build", instead: NO_IMAGES },
  { flags: "--pull [policy]", instead: NO_IMAGES },
  { flags: "--force-recreate", instead: FRESH },
  { flags: "--no-recreate", instead: FRESH },
  { flags: "--remove-orphans", instead: FRESH },
  { flags: "-p, --project-name <name>", instead: "a run is named by its file: choose it with -f FILE" },
  {
    flags: "--profile <name>",
    instead:
      "name the services to run (`mirrord-up api web`); `skip: true` leaves one out unless it is named",
  },
  { flags: "--scale <service=n>", instead: "one session per service: to run two, declare two services" },
  { flags: "--wait", instead: "`mirrord-up` says when every service is ready (and stays in the foreground)" },
];

/** The sentence for a compose command mirrord-up does not have; undefined for any other word. */
export function composeCommandProblem(word: string): UserError | undefined {
  const instead = Object.hasOwn(COMPOSE_COMMANDS, word) ? COMPOSE_COMMANDS[word] : undefined;
  if (instead === undefined) return undefined;
  return new UserError({
    message: `mirrord-up has no \`${word}\` command (docker compose has)`,
    hint: instead,
  });
}

/** The compose options `withComposeOptions` declared, each with its sentence. */
const declared = new WeakMap<Option, string>();

/**
 * Declares, hidden, the compose options `command` does not take itself, so that one given is
 * answered by `composeOptionProblem` with its sentence instead of commander's "did you mean".
 */
export function withComposeOptions(command: Command): void {
  const taken = (flag: string | undefined) =>
    flag !== undefined && command.options.some((o) => o.short === flag || o.long === flag);
  for (const { flags, instead } of COMPOSE_OPTIONS) {
    const option = new Option(flags).hideHelp();
    if (taken(option.long) || taken(option.short)) continue;
    declared.set(option, instead);
    command.addOption(option);
  }
}

/** A compose option given to `command`, as a usage error with what to do instead. */
export function composeOptionProblem(command: Command): UserError | undefined {
  for (const option of command.options) {
    const instead = declared.get(option);
    if (instead === undefined || command.getOptionValueSource(option.attributeName()) !== "cli") continue;
    const name = [option.short, option.long].filter(Boolean).join("/");
    return new UserError({ message: `mirrord-up has no ${name} option (docker compose has)`, hint: instead });
  }
  return undefined;
}
