/**
 * Process groups as the operating system sees them. A session runs in its own group so that
 * the application's children (npm -> node, nodemon -> app) are stopped with it.
 *
 * "Is the group empty?" must ignore zombies: where PID 1 does not reap orphans (some containers
 * and VMs), an exited grandchild stays in the process table forever, and `kill(-pgid, 0)` would
 * call the group alive. On Linux the group's members are read from /proc; elsewhere `kill(-pgid,
 * 0)` is the best available answer.
 */
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";

const HAS_PROC = process.platform === "linux";

/**
 * A descriptor kept open so that reading /proc never lacks one: when the process has run out
 * (EMFILE, e.g. another local user holding connections), a read closes it, retries, and takes it
 * back at once, all in one synchronous step, so nothing else can take the freed descriptor.
 */
let reserve: number | undefined;
/** The reserve was needed at least once. */
let ranOut = false;

/** True once a /proc read found no descriptor and used the reserve's. */
export function ranOutOfDescriptors(): boolean {
  return ranOut;
}

/** Opens the reserve descriptor (once); stopping a run relies on it. */
export function keepDescriptorReserve(): void {
  if (reserve !== undefined || !HAS_PROC) return;
  try {
    reserve = openSync("/dev/null", "r");
  } catch {
    // none to spare now: reads retry without it
  }
}

/**
 * Runs `read` (which opens one descriptor at a time); when descriptors run out, once more with
 * the reserve's. Throws when even that fails: the caller cannot know what it asked.
 */
function withDescriptor<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EMFILE" && code !== "ENFILE") throw error;
    ranOut = true;
    if (reserve === undefined) throw error;
    closeSync(reserve);
    reserve = undefined;
    try {
      return read();
    } finally {
      keepDescriptorReserve();
    }
  }
}

/** The subset of `groups` that still has a living (non-zombie) member. */
export function livingGroups(groups: Iterable<number>): Set<number> {
  const alive = new Set<number>();
  if (!HAS_PROC) {
    for (const pgid of groups) if (signalGroup(pgid, 0)) alive.add(pgid);
    return alive;
  }
  // A group the kernel no longer knows (no member at all, not even a zombie) needs no look at
  // /proc: one syscall instead of reading every process's stat, which is what makes stopping
  // hundreds of sessions on a busy machine slow.
  const wanted = new Set([...groups].filter(groupExists));
  if (wanted.size === 0) return alive;
  for (const pid of pids()) {
    const stat = readStat(pid);
    if (stat && isRunning(stat) && wanted.has(stat.pgrp)) alive.add(stat.pgrp);
  }
  return alive;
}

/** True when a process of the group is running or waiting for a CPU (state R). Linux only. */
export function groupHasRunnable(pgid: number): boolean {
  if (!HAS_PROC) return false;
  for (const pid of pids()) {
    const stat = readStat(pid);
    if (stat?.pgrp === pgid && stat.state === "R") return true;
  }
  return false;
}

/** Sends `signal` to every process in the group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    // EPERM: the group exists but is not ours to signal (a reused PGID); leave it alone.
    return false;
  }
}

/** False only when the group has no process at all (ESRCH); a group we may not signal exists. */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** What `top` and stopping read of a process from /proc/<pid>/stat. */
interface ProcStat {
  state: string;
  ppid: number;
  pgrp: number;
  /** The foreground process group of its controlling terminal; -1 without one. */
  tpgid: number;
  /** CPU time used so far (user + system), in clock ticks (CLOCK_TICKS_PER_SECOND). */
  cpuTicks: number;
  /** When it started, in clock ticks since boot. */
  startTicks: number;
}

/**
 * The unit of /proc's times (USER_HZ): 100 on every Linux architecture Node runs on; the kernel
 * converts to it whatever its internal tick is.
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/** The pids in /proc (its numeric entries), as strings. */
export function pids(): string[] {
  return withDescriptor(() => readdirSync("/proc")).filter((entry) => {
    const code = entry.charCodeAt(0);
    return code >= 48 && code <= 57;
  });
}

/** Zombies (Z) and dying processes (X) run nothing: they do not count as members. */
function isRunning(stat: ProcStat): boolean {
  return stat.state !== "Z" && stat.state !== "X";
}

/** Parses /proc/<pid>/stat; the command name may contain spaces and parentheses. */
function readStat(pid: string): ProcStat | undefined {
  const text = readGone(() => readFileSync(`/proc/${pid}/stat`, "latin1"));
  if (text === undefined) return undefined;
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  // After "pid (comm) ": state(3) ppid(4) pgrp(5) session(6) tty(7) tpgid(8) ... utime(14) stime(15) ... starttime(22), see proc(5).
  return {
    state: fields[0] ?? "",
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    tpgid: Number(fields[5]),
    cpuTicks: Number(fields[11]) + Number(fields[12]),
    startTicks: Number(fields[19]),
  };
}

/** A living (non-zombie) process's stat; undefined when it is gone (or not on Linux). */
export function livingStat(pid: number | string): ProcStat | undefined {
  if (!HAS_PROC) return undefined;
  const stat = readStat(String(pid));
  return stat && isRunning(stat) ? stat : undefined;
}

/** Seconds since boot (/proc/uptime), to turn a start time in ticks into an age. */
export function uptimeSeconds(): number | undefined {
  const text = readGone(() => readFileSync("/proc/uptime", "latin1"));
  const seconds = Number(text?.split(" ")[0]);
  return Number.isFinite(seconds) ? seconds : undefined;
}

/** Its command line as one string (arguments joined by spaces); `[comm]` for a kernel thread. */
export function commandLine(pid: number | string): string | undefined {
  const argv = readGone(() => readFileSync(`/proc/${pid}/cmdline`, "utf8"));
  if (argv === undefined) return undefined;
  const text = argv.replace(/\0+$/, "").replaceAll("\0", " ");
  if (text !== "") return text;
  const comm = readGone(() => readFileSync(`/proc/${pid}/comm`, "utf8").trim());
  return comm === undefined ? undefined : `[${comm}]`;
}

/** Its resident memory in bytes (VmRSS of /proc/<pid>/status); undefined when it has none. */
export function residentBytes(pid: number | string): number | undefined {
  const status = readGone(() => readFileSync(`/proc/${pid}/status`, "latin1"));
  const kib = status === undefined ? undefined : /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}

/** The environment variable that marks every process of a session, even after it left its group. */
export const SESSION_MARKER_VAR = "MIRRORD_UP_SESSION";

/** `MIRRORD_UP_SESSION=<runId>:<service>`: which run and service a process belongs to. */
export function sessionMarker(runId: string, service: string): string {
  return `${runId}:${service}`;
}

/**
 * Living processes whose environment says they belong to run `runId` (optionally one service of
 * it), wherever they are now: a descendant that called `setsid` left its session's process group,
 * and once its parent exited it is no longer anyone's child, but it still carries the marker it
 * inherited. Linux only (reads /proc); a process that cleared its environment is not found.
 */
export function markedProcesses(runId: string, service?: string): number[] {
  if (!HAS_PROC) return [];
  const found: number[] = [];
  for (const pid of pids()) {
    const marked = markedService(pid, runId);
    if (marked === undefined || (service !== undefined && marked !== service)) continue;
    if (livingStat(pid)) found.push(Number(pid));
  }
  return found;
}

/**
 * The service a process of run `runId` belongs to, from the marker in its environment; undefined
 * when it carries none of this run (or is gone).
 */
export function markedService(pid: number | string, runId: string): string | undefined {
  const environ = readGone(() => readFileSync(`/proc/${pid}/environ`));
  if (environ === undefined) return undefined;
  const needle = Buffer.from(`${SESSION_MARKER_VAR}=${runId}:`);
  for (let at = environ.indexOf(needle); at >= 0; at = environ.indexOf(needle, at + 1)) {
    if (at !== 0 && environ[at - 1] !== 0) continue;
    const end = environ.indexOf(0, at);
    return environ.subarray(at + needle.length, end < 0 ? undefined : end).toString("utf8");
  }
  return undefined;
}

/** Is `pid` a living (non-zombie) process? */
export function isLiving(pid: number): boolean {
  return livingStat(pid) !== undefined;
}

/** Sends `signal` to one process; false when it is gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * A /proc file's content, or undefined when its process is gone or not ours to read. Running out
 * of descriptors is not "gone": that throws (see `withDescriptor`).
 */
export function readGone<T>(read: () => T): T | undefined {
  try {
    return withDescriptor(read);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EMFILE" || code === "ENFILE") throw error;
    return undefined;
  }
}
