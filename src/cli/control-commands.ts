/**
 * The commands that steer a running `up` through its control socket: `ps`, `logs`, `restart`,
 * `stop`, `start`, `reload`, `down`, `top`, `kill`. Each finds the instance for `-f` (as `up`
 * does) and prints what it answered.
 */

import { ControlClient, locateInstance } from "../control/client.js";
import { type Colors, colorsFor } from "../core/colors.js";
import { ExitCode, UserError } from "../core/errors.js";
import type { ActionResult, LogEntry, ServiceProcesses, ServiceStatus } from "../run/control-types.js";
import { prefixText } from "../run/frame.js";
import { OutputMux } from "../run/output.js";
import { formatDuration } from "../text/duration.js";
import { type CliIO, writeOutput } from "./io.js";

export interface ControlFlags {
  configFile?: string;
}

function clientFor(flags: ControlFlags, io: CliIO): ControlClient {
  return new ControlClient(locateInstance(flags.configFile, io.env, io.cwd));
}

// ps

export interface PsFlags extends ControlFlags {
  format: "table" | "json";
  color: boolean;
}

export async function runPsCommand(flags: PsFlags, io: CliIO): Promise<number> {
  const { services } = await clientFor(flags, io).get("/v1/services");
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
  /** Lines per service; undefined = everything buffered. */
  /** Lines per service; absent or `all`: everything kept. */
  tail?: number | "all";
  color: boolean;
  logPrefix: boolean;
  timestamps: boolean;
}

export async function runLogsCommand(flags: LogsFlags, services: string[], io: CliIO): Promise<number> {
  const client = clientFor(flags, io);
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
  if (flags.follow) query.set("follow", "1");

  const abort = new AbortController();
  const stopReading = () => abort.abort();
  mux.onClosed(stopReading);
  // Ctrl-C ends `logs -f` (exit 0), never the run it watches.
  if (flags.follow) process.once("SIGINT", stopReading);
  try {
    const stream = client.stream(
      "/v1/logs",
      query,
      (entry) => {
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

export async function runServiceAction(
  action: ServiceAction,
  flags: ControlFlags,
  services: string[],
  io: CliIO,
): Promise<number> {
  const reply = await clientFor(flags, io).post(`/v1/${action}`, { services });
  return await printActionResult(reply.body, io);
}

export async function runReloadCommand(flags: ControlFlags, io: CliIO): Promise<number> {
  const reply = await clientFor(flags, io).post("/v1/reload", {});
  return await printActionResult(reply.body, io);
}

/** `down`, or `stop` without services: ends the whole run like Ctrl-C, and waits until it is over. */
export async function runDownCommand(flags: ControlFlags, io: CliIO): Promise<number> {
  const client = clientFor(flags, io);
  const info = await client.get("/v1/info");
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
  const { services: found } = await clientFor(flags, io).get("/v1/top", query);
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
  const reply = await clientFor(flags, io).post("/v1/kill", {
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
