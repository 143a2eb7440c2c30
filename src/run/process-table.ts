/**
 * Which processes a running service has (`top`) and which one is its main process (`kill`),
 * read from /proc through process-groups.ts. A service's processes are the members of its
 * session's process group, and the processes of the run that carry its session marker but left
 * the group (`setsid` daemons): the same two sets the group stopper stops.
 */
import type { RunType } from "../plan/assemble.js";
import type { ProcessRow } from "./control-types.js";
import {
  CLOCK_TICKS_PER_SECOND,
  commandLine,
  livingStat,
  markedService,
  pids,
  residentBytes,
  uptimeSeconds,
} from "./process-groups.js";

/** A service and its session's process group (undefined when it has none). */
interface ServiceGroup {
  name: string;
  pgid: number | undefined;
}

/** Each service's processes, oldest first; empty lists where /proc cannot be read. */
export function serviceProcesses(
  runId: string,
  services: readonly ServiceGroup[],
): Map<string, ProcessRow[]> {
  const found = new Map(services.map((s) => [s.name, [] as { row: ProcessRow; start: number }[]]));
  const groups = new Map<number, string>();
  for (const s of services) if (s.pgid !== undefined) groups.set(s.pgid, s.name);
  const uptime = uptimeSeconds();
  if (uptime !== undefined) {
    for (const pid of pids()) {
      const stat = livingStat(pid);
      if (!stat) continue;
      const member = groups.get(stat.pgrp);
      const name = member ?? markedService(pid, runId);
      const rows = name === undefined ? undefined : found.get(name);
      if (!rows) continue;
      const cpuSeconds = stat.cpuTicks / CLOCK_TICKS_PER_SECOND;
      const age = uptime - stat.startTicks / CLOCK_TICKS_PER_SECOND;
      rows.push({
        start: stat.startTicks,
        row: {
          pid: Number(pid),
          ppid: stat.ppid,
          pgid: stat.pgrp,
          in_group: member !== undefined,
          cpu_percent: age > 0 ? Math.round((1000 * cpuSeconds) / age) / 10 : 0,
          cpu_seconds: cpuSeconds,
          rss_bytes: residentBytes(pid) ?? null,
          command: commandLine(pid) ?? "?",
        },
      });
    }
  }
  return new Map(
    [...found].map(([name, rows]) => [
      name,
      rows.sort((a, b) => a.start - b.start || a.row.pid - b.row.pid).map((r) => r.row),
    ]),
  );
}

/**
 * The process that runs the service's program, given its session's pid. mirrord `exec` replaces
 * itself with the program (same pid), and a local service's launcher `exec`s it: the session's
 * pid. `mirrord container` runs the container runtime as its child: its newest living child in
 * the session's group, or mirrord itself while it has none (still starting).
 */
export function mainProcess(sessionPid: number, type: RunType): number {
  if (type !== "container") return sessionPid;
  let newest: { pid: number; start: number } | undefined;
  for (const pid of pids()) {
    const stat = livingStat(pid);
    if (stat?.ppid !== sessionPid || stat.pgrp !== sessionPid) continue;
    if (!newest || stat.startTicks > newest.start) newest = { pid: Number(pid), start: stat.startTicks };
  }
  return newest?.pid ?? sessionPid;
}
