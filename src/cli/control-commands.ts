/**
 * The commands that steer a running `up` through its control socket: `ps`, `logs`, `restart`,
 * `stop`, `start`, `reload`, `down`, `dashboard`, `top`, `kill`. Each finds the instance for `-f`
 * (as `up` does), checks it is the run `-k` and `--context` name, and prints what it answered.
 */

import { ControlClient, locateInstance, NotRunningError } from "../control/client.js";
import type { InfoResponse } from "../control/protocol.js";
import { unknownServices } from "../control/service-names.js";
import { type Colors, colorsFor } from "../core/colors.js";
import { type Diagnostic, ExitCode, UserError } from "../core/errors.js";
import type {
  ActionResult,
  LogEntry,
  ServiceProcesses,
  ServiceState,
  ServiceStatus,
} from "../run/control-types.js";
import { prefixText } from "../run/frame.js";
import { OutputMux } from "../run/output.js";
import { formatDuration } from "../text/duration.js";
import { type CliIO, writeOutput } from "./io.js";

export interface ControlFlags {
  configFile?: string;
  /** `-k`: the run must use this key. */
  key?: string;
  /** `--context`: the run must have been started with this `--context`. */
  context?: string;
}

/** The client of the `up` for `-f`; with `-k` or `--context`, only when that run matches them. */
export async function connect(flags: ControlFlags, io: CliIO): Promise<ControlClient> {
  const client = new ControlClient(locateInstance(flags.configFile, io.env, io.cwd));
  if (flags.key !== undefined || flags.context !== undefined) {
    checkSameRun(await client.get("/v1/info"), flags, client);
  }
  return client;
}

/**
 * `-k` and `--context` say which run the user means (an alias keeps them): the run of the same
 * file with another key, or another `--context`, is not that one. One still preparing has no key
 * yet, and passes.
 */
function checkSameRun(info: InfoResponse, flags: ControlFlags, client: ControlClient): void {
  if (info.starting || info.key === undefined) return;
  const { shownFile, configFlag } = client.instance;
  const f = configFlag ? ` -f ${configFlag}` : "";
  const problems: Diagnostic[] = [];
  if (flags.key !== undefined && info.key !== flags.key) {
    problems.push({
      message: `the running up for ${shownFile} uses key "${info.key}", not "${flags.key}"`,
      hint: `leave out -k to steer it, or end it (\`mirrord-up${f} down\`) and start it with -k ${flags.key}`,
    });
  }
  if (flags.context !== undefined && info.context !== flags.context) {
    const theirs =
      info.context === undefined ? "was started without --context" : `uses --context "${info.context}"`;
    problems.push({
      message: `the running up for ${shownFile} ${theirs}, not --context "${flags.context}"`,
      hint: `leave out --context to steer it, or end it (\`mirrord-up${f} down\`) and start it with --context ${flags.context}`,
    });
  }
  if (problems.length > 0) throw new UserError(problems);
}

// ps

export interface PsFlags extends ControlFlags {
  format: "table" | "json";
  color: boolean;
  /** `--services`: the names only, one a line. */
  services: boolean;
  /** `-q`: the pids only, one a line. */
  quiet: boolean;
}

/** `ps [SERVICE...]`: the table, JSON, names (`--services`) or pids (`-q`) of those named, or all. */
export async function runPsCommand(flags: PsFlags, names: readonly string[], io: CliIO): Promise<number> {
  const { services: all } = await (await connect(flags, io)).get("/v1/services");
  const unknown = unknownServices(
    names,
    all.map((s) => s.name),
  );
  if (unknown) throw new UserError({ message: unknown.error, hint: unknown.hint });
  const services = names.length > 0 ? all.filter((s) => names.includes(s.name)) : all;
  if (flags.services || flags.quiet) {
    const lines = flags.services
      ? services.map((s) => s.name)
      : services.flatMap((s) => (s.pid === null ? [] : [String(s.pid)]));
    await writeOutput(io.stdout, lines.map((line) => `${line}\n`).join(""));
    return ExitCode.ok;
  }
  if (flags.format === "json") {
    await writeOutput(io.stdout, `${JSON.stringify(services, null, 2)}\n`);
    return ExitCode.ok;
  }
  const c = colorsFor(io.stdout, io.env, flags.color ? undefined : false);
  await writeOutput(io.stdout, renderPsTable(services, Date.now(), c));
  return ExitCode.ok;
}

const PS_COLUMNS = ["NAME", "TYPE", "STATE", "PID", "RESTARTS", "STARTED", "READY AFTER", "EXIT", "TARGET"];

/** One row per service, columns padded; the state coloured on a terminal. */
function renderPsTable(services: readonly ServiceStatus[], now: number, c: Colors): string {
  const rows = services.map((s) => [
    s.name,
    s.type,
    s.state,
    s.pid === null ? "-" : String(s.pid),
    String(s.restarts),
    s.started === null ? "-" : `${formatDuration(now - Date.parse(s.started), { wholeSeconds: true })} ago`,
    s.ready_after_ms === null ? "-" : formatDuration(s.ready_after_ms),
    s.signal ?? (s.exit_code === null ? "-" : String(s.exit_code)),
    s.target ?? "-",
  ]);
  const widths = PS_COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[], paint: (cell: string, i: number) => string = (x) => x) =>
    `${cells
      .map((cell, i) => paint(i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number), i))
      .join("  ")
      .trimEnd()}\n`;
  const stateColumn = PS_COLUMNS.indexOf("STATE");
  return (
    line(PS_COLUMNS, (cell) => c.bold(cell)) +
    rows
      .map((row, r) =>
        line(row, (cell, i) => (i === stateColumn ? paintState(services[r]?.state ?? "", cell, c) : cell)),
      )
      .join("")
  );
}

function paintState(state: string, text: string, c: Colors): string {
  switch (state) {
    case "ready":
    case "running":
      return c.green(text);
    case "failed":
      return c.red(text);
    case "starting":
    case "restarting":
    case "waiting":
      return c.yellow(text);
    default:
      return c.dim(text);
  }
}

// logs

export interface LogsFlags extends ControlFlags {
  follow: boolean;
  /** Lines per service; absent or `all`: everything kept. */
  tail?: number | "all";
  color: boolean;
  logPrefix: boolean;
  timestamps: boolean;
  /** `--since`: only what was read at or after this time (milliseconds since the epoch). */
  since?: number;
  /** `--until`: only what was read at or before this time; `-f` stops following there. */
  until?: number;
}

export async function runLogsCommand(flags: LogsFlags, services: string[], io: CliIO): Promise<number> {
  const client = await connect(flags, io);
  // The names decide padding and colours; they must be the ones `up` uses, so they come from it.
  const { services: status } = await client.get("/v1/services");
  const mux = new OutputMux(io.stdout, namesOfTheRun(status, services), {
    colors: colorsFor(io.stdout, io.env, flags.color ? undefined : false),
    prefix: flags.logPrefix,
    timestamps: false,
  });
  const query = new URLSearchParams();
  for (const name of services) query.append("service", name);
  if (flags.tail !== undefined && flags.tail !== "all") query.set("tail", String(flags.tail));
  // Following up to a time already past would only wait for nothing.
  const until = flags.until;
  const follow = flags.follow && (until === undefined || until > Date.now());
  if (follow) query.set("follow", "1");

  const abort = new AbortController();
  const stopReading = () => abort.abort();
  mux.onClosed(stopReading);
  // Ctrl-C ends `logs -f` (exit 0), never the run it watches; so does reaching --until.
  if (follow) process.once("SIGINT", stopReading);
  const untilTimer = follow && until !== undefined ? setTimeout(stopReading, until - Date.now()) : undefined;
  try {
    const stream = client.stream(
      "/v1/logs",
      query,
      (entry) => {
        if (flags.since !== undefined && entry.time < flags.since) return;
        if (until !== undefined && entry.time > until) {
          if (follow) stopReading();
          return;
        }
        if (!writeEntry(mux, entry, flags)) {
          stream.pause();
          mux.whenDrained(() => stream.resume());
        }
      },
      { signal: abort.signal },
    );
    const end = await stream.done;
    if (end?.end === "too-slow") {
      io.stderr.write("mirrord-up: logs: this reader fell too far behind and was cut off\n");
      return ExitCode.internal;
    }
    return ExitCode.ok;
  } finally {
    clearTimeout(untilTimer);
    process.off("SIGINT", stopReading);
  }
}

/**
 * The services `up` prints: those it started (or is starting), plus any asked for. Services it
 * never started (not selected, `skip: true`) would change the padding and the colours.
 */
function namesOfTheRun(status: readonly ServiceStatus[], requested: readonly string[]): string[] {
  const started = status.filter((s) => s.started !== null || s.state !== "stopped").map((s) => s.name);
  const names = [...new Set([...started, ...requested])];
  return names.length > 0 ? names : status.map((s) => s.name);
}

/** One entry, exactly as `up` printed it (the time is when the bytes were read). */
function writeEntry(mux: OutputMux, entry: LogEntry, flags: LogsFlags): boolean {
  if (entry.stream === "status") {
    // Status text is UTF-8 stored as latin1, already escaped and without the prefix.
    const text = Buffer.from(entry.text, "latin1").toString("utf8").replace(/\n$/, "");
    if (entry.service === "") mux.notice(text);
    else mux.status(entry.service, text);
    return true;
  }
  const time = flags.timestamps ? `${new Date(entry.time).toISOString()} ` : "";
  const prefix = mux.linePrefix(entry.service, entry.stream)() + time;
  return mux.write(prefixText(entry.text, prefix));
}

// restart, stop, start, reload, down

export type ServiceAction = "restart" | "stop" | "start";

/** The states `start` without names starts from, as `docker compose start` starts every exited container. */
const STARTABLE: readonly ServiceState[] = ["stopped", "exited", "failed"];

/**
 * Acts on the services named; without names, `restart` restarts every service of the run and
 * `start` starts each that neither runs nor waits to (never one the run did not select: the run
 * does not list those). (`stop` without names is `down`.)
 */
export async function runServiceAction(
  action: ServiceAction,
  flags: ControlFlags,
  services: string[],
  io: CliIO,
): Promise<number> {
  const client = await connect(flags, io);
  let names = services;
  if (names.length === 0) {
    const { services: all } = await client.get("/v1/services");
    names = all.filter((s) => action !== "start" || STARTABLE.includes(s.state)).map((s) => s.name);
    if (names.length === 0) {
      const why =
        action === "start" ? "every service runs or is waiting to start" : "the run has no services";
      await writeOutput(io.stdout, `nothing to ${action}: ${why}\n`);
      return ExitCode.ok;
    }
  }
  const reply = await client.post(`/v1/${action}`, { services: names });
  return await printActionResult(reply.body, io);
}

export async function runReloadCommand(flags: ControlFlags, io: CliIO): Promise<number> {
  const reply = await (await connect(flags, io)).post("/v1/reload", {});
  return await printActionResult(reply.body, io);
}

/**
 * `down`, or `stop` without services: ends the whole run like Ctrl-C, and waits until it is over.
 * With nothing running it says so and succeeds (scripts call it in traps); a file that does not
 * exist is still an error (`-f` mistyped).
 */
export async function runDownCommand(flags: ControlFlags, io: CliIO): Promise<number> {
  let client: ControlClient;
  let info: InfoResponse;
  try {
    client = await connect(flags, io);
    info = await client.get("/v1/info");
  } catch (error) {
    if (!(error instanceof NotRunningError) || error.fileMissing) throw error;
    await writeOutput(io.stdout, `mirrord-up: nothing to stop: ${error.diagnostics[0]?.message}\n`);
    return ExitCode.ok;
  }
  await writeOutput(
    io.stdout,
    `mirrord-up: stopping every service of ${client.instance.shownFile} (pid ${info.pid})\n`,
  );
  const reply = await client.post("/v1/down", {});
  return await printActionResult(reply.body, io);
}

// top, kill

export interface TopFlags extends ControlFlags {
  format: "table" | "json";
}

/** `top`: each service's processes, like `docker compose top`; `--format json` prints the answer's list. */
export async function runTopCommand(flags: TopFlags, services: string[], io: CliIO): Promise<number> {
  const query = new URLSearchParams();
  for (const name of services) query.append("service", name);
  const { services: found } = await (await connect(flags, io)).get("/v1/top", query);
  if (flags.format === "json") {
    await writeOutput(io.stdout, `${JSON.stringify(found, null, 2)}\n`);
    return ExitCode.ok;
  }
  // Without names, only services that have processes, as compose shows only running containers.
  const shown = services.length > 0 ? found : found.filter((s) => s.processes.length > 0);
  await writeOutput(io.stdout, shown.map(renderTopTable).join("\n"));
  return ExitCode.ok;
}

const TOP_COLUMNS = ["PID", "PPID", "PGID", "%CPU", "RSS", "TIME", "COMMAND"];

/** `name`, then one row per process; a process that left the session's group shows its own PGID. */
function renderTopTable(service: ServiceProcesses): string {
  if (service.processes.length === 0) return `${service.name}: not running\n`;
  const rows = service.processes.map((p) => [
    String(p.pid),
    String(p.ppid),
    String(p.pgid),
    p.cpu_percent.toFixed(1),
    p.rss_bytes === null ? "-" : formatBytes(p.rss_bytes),
    formatDuration(p.cpu_seconds * 1000),
    p.command,
  ]);
  const widths = TOP_COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    `${cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number))).join("  ")}\n`;
  return `${service.name}\n${line(TOP_COLUMNS)}${rows.map(line).join("")}`;
}

/** `812 KiB`, `45.2 MiB`, `1.1 GiB`. */
function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit <= 1 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

interface KillFlags extends ControlFlags {
  signal: NodeJS.Signals;
  group: boolean;
}

export async function runKillCommand(flags: KillFlags, services: string[], io: CliIO): Promise<number> {
  const reply = await (await connect(flags, io)).post("/v1/kill", {
    services,
    signal: flags.signal,
    group: flags.group,
  });
  return await printActionResult(reply.body, io);
}

/** Messages to stdout; errors (located, e.g. an invalid file on reload) to stderr, exit 2. */
async function printActionResult(result: ActionResult, io: CliIO): Promise<number> {
  if (result.ok) {
    await writeOutput(io.stdout, result.messages.map((m) => `${m}\n`).join(""));
    return ExitCode.ok;
  }
  if (result.errors.length === 0) throw new UserError({ message: "mirrord-up refused the request" });
  for (const error of result.errors) io.stderr.write(`${error.replace(/\n$/, "")}\n`);
  return ExitCode.usage;
}
