/**
 * Process groups as the operating system sees them. A session runs in its own group so that
 * the application's children (npm -> node, nodemon -> app) are stopped with it.
 *
 * "Is the group empty?" must ignore zombies: where PID 1 does not reap orphans (some containers
 * and VMs), an exited grandchild stays in the process table forever, and `kill(-pgid, 0)` would
 * call the group alive. On Linux the group's members are read from /proc; elsewhere `kill(-pgid,
 * 0)` is the best available answer.
 */
import { readdirSync, readFileSync } from "node:fs";

const HAS_PROC = process.platform === "linux";

/** The subset of `groups` that still has a living (non-zombie) member. */
export function livingGroups(groups: Iterable<number>): Set<number> {
  const wanted = new Set(groups);
  const alive = new Set<number>();
  if (wanted.size === 0) return alive;
  if (!HAS_PROC) {
    for (const pgid of wanted) if (signalGroup(pgid, 0)) alive.add(pgid);
    return alive;
  }
  for (const entry of readdirSync("/proc")) {
    const code = entry.charCodeAt(0);
    if (code < 48 || code > 57) continue;
    const stat = readStat(entry);
    if (stat && stat.state !== "Z" && stat.state !== "X" && wanted.has(stat.pgrp)) alive.add(stat.pgrp);
  }
  return alive;
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

interface ProcStat {
  state: string;
  pgrp: number;
}

/** Parses /proc/<pid>/stat; the command name may contain spaces and parentheses. */
function readStat(pid: string): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined; // exited while we were looking
  }
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  // After "pid (comm) ": state ppid pgrp ...
  return { state: fields[0] ?? "", pgrp: Number(fields[2]) };
}
