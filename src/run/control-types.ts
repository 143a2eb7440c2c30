/**
 * What a running `up` offers to whoever steers it (the control socket's handlers, the dashboard):
 * plain data in, plain data out. `run/` implements it; `control/` only calls it.
 */
import type { RunType, SessionPlan } from "../plan/assemble.js";

/**
 * A service's state, as `ps` shows it:
 * - `waiting`: for its dependencies;
 * - `starting`: started, not ready yet;
 * - `ready`: mirrord said `Ready!` (and its `ready_when` check passed, if any);
 * - `running`: a local service without a readiness check;
 * - `restarting`: stopped by a restart, or waiting out the restart policy's backoff;
 * - `exited`: ended with code 0;
 * - `failed`: ended otherwise on its own;
 * - `stopped`: stopped by request (or never started: not selected, or `skip: true`).
 */
export type ServiceState =
  | "waiting"
  | "starting"
  | "ready"
  | "running"
  | "restarting"
  | "exited"
  | "failed"
  | "stopped";

/** One row of `ps` (and of the dashboard's table). Field names are the JSON of `ps --format json`. */
export interface ServiceStatus {
  name: string;
  type: RunType;
  state: ServiceState;
  /** The session's pid (its process group) while it runs; null otherwise. */
  pid: number | null;
  /** Restarts so far (by request, by policy or by reload). */
  restarts: number;
  /** When the current (or last) run started, ISO 8601; null if never started. */
  started: string | null;
  /** Milliseconds from start to ready; null until ready. */
  ready_after_ms: number | null;
  /** The last run's exit code; null while running or when a signal ended it. */
  exit_code: number | null;
  /** The signal that ended the last run (`SIGTERM`); null otherwise. */
  signal: string | null;
  /** The target path (`deployment/api`), `none` for targetless, null for local services. */
  target: string | null;
}

/** Where a log line came from: the service's stdout or stderr, or mirrord-up's `▸` status lines. */
export type LogStream = "stdout" | "stderr" | "status";

/**
 * A piece of a service's output: whole lines only. `text` holds the bytes as a latin1 string
 * (one character per byte, so any byte sequence round-trips exactly); every line in it ends with
 * a newline. `seq` increases by one per entry across the whole run.
 */
export interface LogEntry {
  seq: number;
  service: string;
  stream: LogStream;
  /** When the bytes were read, milliseconds since the epoch. */
  time: number;
  text: string;
}

/** Something that happened to a service, for the events timeline and the `up` stream. */
export interface RunEvent {
  time: number;
  service: string;
  kind: "started" | "ready" | "restarted" | "exited" | "failed" | "stopped" | "removed" | "added";
  /**
   * Who caused it: a request, the restart policy, a reload, or a dependency (started for a
   * service that needs it; not started because one failed). Absent: the run itself.
   */
  by?: "request" | "policy" | "reload" | "dependency";
  /** What `kind` and `by` do not say: "pid 12 → 48", "after 2.1s", "exited with code 1". */
  detail?: string;
}

/** One process of a service, as `top` shows it. Field names are the JSON of `top --format json`. */
export interface ProcessRow {
  pid: number;
  ppid: number;
  /** Its process group: the session's, or another one for a process that left it. */
  pgid: number;
  /** False for a process that left the session's group (found by its session marker). */
  in_group: boolean;
  /** CPU time used over its lifetime, as a share of one CPU (what `ps` calls %CPU). */
  cpu_percent: number;
  /** CPU time used so far (user + system), in seconds. */
  cpu_seconds: number;
  /** Resident memory (VmRSS) in bytes; null when the kernel shows none. */
  rss_bytes: number | null;
  /** Its command line, arguments joined by spaces. */
  command: string;
}

/** A service's processes: the members of its session's process group, and those that left it. */
export interface ServiceProcesses {
  name: string;
  /** The session's pid (its process group) while it runs; null otherwise. */
  pid: number | null;
  /** Oldest first. */
  processes: ProcessRow[];
}

/** The result of a control action: what happened, or located errors (an invalid file). */
export type ActionResult = { ok: true; messages: string[] } | { ok: false; errors: string[] };

/** The operations of a running `up`. */
export interface RunControl {
  /** The pid of the `up` process, the config file's real path, the key, `--context`, when it started. */
  info(): {
    pid: number;
    file: string;
    key: string;
    context?: string;
    started: string;
    sessionHeader?: string;
  };
  status(): ServiceStatus[];
  /** The buffered output of `services` (all when empty), at most the last `tail` lines of each. */
  logs(services: readonly string[], tail: number): Iterable<LogEntry>;
  /** Calls `listener` for every new entry until the returned function is called. */
  followLogs(listener: (entry: LogEntry) => void): () => void;
  events(): RunEvent[];
  followEvents(listener: (event: RunEvent) => void): () => void;
  /** Calls `listener` once the run has ended (every session stopped). */
  onEnded(listener: () => void): void;
  restart(services: readonly string[]): Promise<ActionResult>;
  /**
   * Sends `signal` to each service's main process (with `group`, to its whole process group) as
   * something outside would: the end it causes is handled like any other (the restart policy).
   */
  kill(services: readonly string[], signal: NodeJS.Signals, group: boolean): Promise<ActionResult>;
  /** The processes of `services` (every service when empty), read from /proc now. */
  top(services: readonly string[]): ServiceProcesses[];
  stop(services: readonly string[]): Promise<ActionResult>;
  start(services: readonly string[]): Promise<ActionResult>;
  reload(): Promise<ActionResult>;
  /** Ends the whole run exactly like Ctrl-C. */
  shutdown(): void;
  /** Each service's current plan (its command, mirrord.json, env), for the dashboard's config view. */
  plans?(): readonly SessionPlan[];
}
