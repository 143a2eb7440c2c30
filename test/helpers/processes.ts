/**
 * The operating system's view of what a test started. Every process a test starts inherits
 * MIRRORD_UP_TEST_MARKER=<random> through its environment (mirrord-up, the watchdog, mirrord,
 * the application, its children), so "nothing is left" is checked by scanning /proc for the
 * marker rather than by trusting our own bookkeeping. Zombies do not count: this machine's PID 1
 * does not reap orphans, so an exited grandchild may linger as a zombie while running nothing.
 */
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";

export const MARKER_VAR = "MIRRORD_UP_TEST_MARKER";

export function newMarker(): string {
  return randomUUID();
}

export interface ProcInfo {
  pid: number;
  pgid: number;
  state: string;
  cmdline: string;
}

/** Living (non-zombie) processes whose environment carries `marker`. */
export function processesWithMarker(marker: string): ProcInfo[] {
  const needle = `${MARKER_VAR}=${marker}`;
  const found: ProcInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    let stat: string;
    let cmdline: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, "latin1");
      stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "latin1").replace(/\0/g, " ").trim();
    } catch {
      continue;
    }
    if (!environ.split("\0").includes(needle)) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const state = fields[0] ?? "";
    if (state === "Z" || state === "X") continue;
    found.push({ pid: Number(entry), pgid: Number(fields[2]), state, cmdline });
  }
  return found;
}

/** A process's resident memory (VmRSS), in KiB. */
export function residentKiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
}

/** The watchdog of the run marked `marker`: the `sh` that carries its name on its command line. */
export function watchdogPid(marker: string): number | undefined {
  return processesWithMarker(marker).find((p) => p.cmdline.includes("mirrord-up-watchdog"))?.pid;
}

/** Is this pid a living (non-zombie) process? */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/**
 * SIGKILLs every living process carrying `marker` (test cleanup, even after a failure). Scans
 * again until none is left: a process forked while the previous scan ran (a session still
 * starting) would otherwise escape, since the watchdog that would catch it is killed too.
 */
export function killMarked(marker: string): void {
  for (let round = 0; round < 50; round++) {
    const alive = processesWithMarker(marker);
    if (alive.length === 0) return;
    for (const p of alive) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    const until = Date.now() + 20;
    while (Date.now() < until) {
      // a short busy wait: this runs in synchronous cleanup hooks
    }
  }
}
