/** `mirrord-up logs [SERVICE...]`: the output of the running up. A control command: no heavy bundle. */
import { Command, InvalidArgumentError } from "commander";
import { parseDuration } from "../../text/duration.js";
import { type LogsFlags, runLogsCommand } from "../control-commands.js";
import type { CommandContext } from "./context.js";
import { withRunOptions } from "./options.js";

/** `all` stays a word: a parser's `undefined` would make commander store an empty string. */
function parseTail(value: string): number | "all" {
  if (value === "all") return "all";
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a number of lines, or "all"');
  return Number(value);
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?([Zz]|[+-]\d{2}:\d{2})?$/;

/**
 * A time for `--since`/`--until`, read as docker compose reads it: a duration back from `now`
 * (`10m`, `1h30s`), an RFC 3339 time (`2026-01-02T15:04:05Z`, `...+02:00`; without an offset it is
 * local time, and a date alone its local midnight), or Unix seconds (`1767366245`). Milliseconds
 * since the epoch.
 */
export function parseLogTime(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const ago = parseDuration(value);
  if (ago !== undefined) return now - ago;
  const m = RFC3339.exec(value);
  if (m) {
    const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone] = m;
    const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
    const ms = Math.floor(Number(`0${frac || ".0"}`) * 1000);
    const local = new Date(...parts, ms);
    const time =
      zone === undefined
        ? local.getTime()
        : Date.UTC(...parts, ms) - (/^[Zz]$/.test(zone) ? 0 : offsetMinutes(zone) * 60_000);
    // new Date() rolls 2026-02-30 over into March: a date that does not exist is refused.
    if (
      local.getMonth() === parts[1] &&
      local.getDate() === parts[2] &&
      Number(h) < 24 &&
      Number(mi) < 60 &&
      Number(s) < 60
    )
      return time;
  }
  throw new InvalidArgumentError(
    "expected a duration back from now (10m, 1h30s), an RFC 3339 time (2026-01-02T15:04:05Z) or Unix seconds",
  );
}

function offsetMinutes(zone: string): number {
  const sign = zone.startsWith("-") ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
}

export function logsCommand(ctx: CommandContext): Command {
  return withRunOptions(
    new Command("logs")
      .description("print the output of the running up (all services, or the ones named)")
      .argument("[services...]", "services to show (default: all)"),
    { short: false },
  )
    .option("-f, --follow", "keep printing new output until Ctrl-C or the end of the run", false)
    .option(
      "-n, --tail <lines>",
      'at most this many lines per service (default: "all" that is kept)',
      parseTail,
    )
    .option(
      "--since <time>",
      "only output read since then: a duration back from now (10m, 1h30s), an RFC 3339 time, or Unix seconds",
      (value) => parseLogTime(value),
    )
    .option(
      "--until <time>",
      "only output read until then (same forms as --since); -f stops following there",
      (value) => parseLogTime(value),
    )
    .option("--no-color", "no colours (also: NO_COLOR)")
    .option("--no-log-prefix", "print application lines without the `name | ` prefix")
    .option("--timestamps", "show when each application line was read", false)
    .action(async (services: string[], raw: LogsFlags) => {
      ctx.setExitCode(await runLogsCommand(raw, services, ctx.io));
    });
}
