/** Shared pieces of the benchmark: the two runners, process-table polling, statistics. */
import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const OUT = join(ROOT, "bench", "out");
export const MIRRORD_UP = join(ROOT, "bin", "mirrord-up.js");
export const CONCURRENTLY = join(
  dirname(createRequire(import.meta.url).resolve("concurrently/package.json")),
  "dist",
  "bin",
  "concurrently.js",
);
export const STAND_IN_MIRRORD = join(ROOT, "test", "fixtures", "mirrord");
export const MARKER_VAR = "MIRRORD_UP_BENCH_MARKER";

export type Tool = "mirrord-up" | "concurrently";
export const TOOLS: Tool[] = ["mirrord-up", "concurrently"];

export interface Launched {
  child: ChildProcess;
  marker: string;
  /** Wall-clock ms when spawn was called. */
  launchedAt: number;
  exited: Promise<number | null>;
}

/** Spawns a runner (node + its entry) in its own process group, like a shell runs a job. */
export function launch(
  entry: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; stdio?: StdioOptions },
): Launched {
  const marker = randomUUID();
  const launchedAt = nowMs();
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, [MARKER_VAR]: marker, NO_COLOR: "1" },
    stdio: options.stdio ?? ["ignore", "ignore", "ignore"],
    detached: true,
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, marker, launchedAt, exited };
}

export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Living (non-zombie) processes carrying `marker` in their environment. */
export function markedPids(marker: string): number[] {
  const needle = `${MARKER_VAR}=${marker}`;
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state === "Z" || state === "X") continue;
      if (readFileSync(`/proc/${entry}/environ`, "latin1").includes(needle)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

export function killMarked(marker: string): void {
  for (const pid of markedPids(marker)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

export async function until(probe: () => boolean, timeoutMs: number, intervalMs = 5): Promise<boolean> {
  const deadline = nowMs() + timeoutMs;
  while (nowMs() < deadline) {
    if (probe()) return true;
    await sleep(intervalMs);
  }
  return probe();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Peak resident set size (VmHWM) of a process, in MiB. */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** Appends `value` to the list under `key`. */
export function record(lists: Record<string, number[]>, key: string, value: number): void {
  const list = lists[key] ?? [];
  list.push(value);
  lists[key] = list;
}
