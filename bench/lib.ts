/**
 * Shared pieces of the benchmark: the two runners, process-table polling, statistics, numbered
 * input lines and the checker of what came out.
 */
import { type ChildProcess, execFileSync, type StdioOptions, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const OUT = join(ROOT, "bench", "out");
export const MIRRORD_UP = join(ROOT, "bin", "mirrord-up.js");

/** `ps --format json` of the up in `dir` (`argv` starts it: the bin, or node and the bin); none while it does not answer. */
export function psRows<Row>(argv: readonly string[], dir: string, env: NodeJS.ProcessEnv): Row[] {
  try {
    return JSON.parse(
      execFileSync(argv[0] as string, [...argv.slice(1), "ps", "--format", "json"], {
        cwd: dir,
        env,
        stdio: ["ignore", "pipe", "ignore"],
      }).toString(),
    ) as Row[];
  } catch {
    return [];
  }
}
export const CONCURRENTLY = join(
  dirname(createRequire(import.meta.url).resolve("concurrently/package.json")),
  "dist",
  "bin",
  "concurrently.js",
);
export const STAND_IN_MIRRORD = join(ROOT, "examples", "mirrord-stand-in", "mirrord");
export const MARKER_VAR = "MIRRORD_UP_BENCH_MARKER";

export type Tool = "mirrord-up" | "concurrently";
export const TOOLS: Tool[] = ["mirrord-up", "concurrently"];

export interface Launched {
  child: ChildProcess;
  marker: string;
  /** Wall-clock ms when spawn was called. */
  launchedAt: number;
  exited: Promise<number | null>;
  /** How and when (wall-clock ms, taken in the exit event) the process ended. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Markers of every launch of this process, for killAllLaunched(). */
const launchedMarkers = new Set<string>();

/**
 * Spawns a runner's installed command (its bin file, executed: the kernel reads its `#!` line, as
 * when a user types the command) in its own process group, like a shell runs a job. The Node that
 * runs the bench comes first on PATH, so `env node` and `exec node` find the same one.
 */
export function launch(
  entry: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; stdio?: StdioOptions },
): Launched {
  const path = `${dirname(process.execPath)}:${options.env?.PATH ?? process.env.PATH ?? ""}`;
  return launchCommand(entry, args, { ...options, env: { ...options.env, PATH: path } });
}

/**
 * HOME of every launched command: an empty directory. Node's child pipes are socket pairs, and
 * bash reads ~/.bashrc when its stdin is a socket (as under sshd), so with the user's HOME every
 * `bash -c` service under concurrently would run the machine's shell set-up (a stale pyenv lock
 * there once held each for 60 s), and under mirrord-up not.
 */
const BENCH_HOME = join(tmpdir(), "mirrord-up-bench-home");

/** Spawns any command in its own process group, with a fresh marker in its environment. */
export function launchCommand(
  file: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; stdio?: StdioOptions },
): Launched {
  const marker = randomUUID();
  launchedMarkers.add(marker);
  mkdirSync(BENCH_HOME, { recursive: true });
  const launchedAt = nowMs();
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: { ...process.env, HOME: BENCH_HOME, ...options.env, [MARKER_VAR]: marker, NO_COLOR: "1" },
    stdio: options.stdio ?? ["ignore", "ignore", "ignore"],
    detached: true,
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) =>
    child.on("exit", (code, signal) => r({ code, signal, at: nowMs() })),
  );
  const exited = ended.then((e) => e.code);
  return { child, marker, launchedAt, exited, ended };
}

/** SIGKILLs every living process started by a launch of this process (one pass over /proc). */
export function killAllLaunched(): void {
  if (launchedMarkers.size === 0) return;
  const needles = [...launchedMarkers].map((m) => `${MARKER_VAR}=${m}`);
  for (const pid of scanProc((environ) => needles.some((n) => environ.includes(n)))) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Living (non-zombie) processes carrying `marker` in their environment. */
export function markedPids(marker: string): number[] {
  const needle = `${MARKER_VAR}=${marker}`;
  return scanProc((environ) => environ.includes(needle));
}

/** Living (non-zombie) processes whose environment passes `test`. */
function scanProc(test: (environ: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state === "Z" || state === "X") continue;
      if (test(readFileSync(`/proc/${entry}/environ`, "latin1"))) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** The command line of a process, arguments joined by spaces ("" once it is gone). */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").replaceAll("\0", " ").trim();
  } catch {
    return "";
  }
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

/**
 * Ctrl-C to a launch's process group (as a terminal sends it); the ms until no process of the
 * launch is left, or NaN if some were still there after 20 s (they are killed then).
 */
export async function stopGroup(run: Launched): Promise<number> {
  const t0 = nowMs();
  process.kill(-(run.child.pid as number), "SIGINT");
  const gone = await until(() => markedPids(run.marker).length === 0, 20_000, 1);
  const ms = nowMs() - t0;
  if (!gone) {
    killMarked(run.marker);
    return Number.NaN;
  }
  await run.exited;
  return ms;
}

/** Whether a file exists and is not empty (an app has written its start time into it). */
export function wrote(file: string): boolean {
  try {
    return statSync(file).size > 0;
  } catch {
    return false;
  }
}

/** How many of the apps 0..n-1 have written their start time into `dir`/started-<i>. */
export function appsStarted(dir: string, n: number): number {
  return Array.from({ length: n }, (_, i) => wrote(join(dir, `started-${i}`))).filter(Boolean).length;
}

/**
 * A launch given on the command line of a bench script as `label|WORD ...`, split on spaces. Leading
 * `NAME=value` words set environment variables; every other word passes through `expand` (which
 * turns a placeholder such as `YAML` or `CONC` into the words it stands for).
 */
export function launchVariant(
  variant: string,
  expand: (word: string) => string[],
): { label: string; run: Launched } {
  const [label = "", command = ""] = variant.split("|");
  const words = command.split(" ").filter(Boolean);
  const env: NodeJS.ProcessEnv = {};
  while (/^[A-Z_]+=/.test(words[0] ?? "")) {
    const [key = "", ...value] = (words.shift() as string).split("=");
    env[key] = value.join("=");
  }
  const [file = "", ...args] = words.flatMap(expand);
  return { label, run: launch(file, args, { cwd: ROOT, env }) };
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
export function record<T = number>(lists: Record<string, T[]>, key: string, value: T): void {
  const list = lists[key] ?? [];
  list.push(value);
  lists[key] = list;
}

/** Clock ticks per second of /proc/<pid>/stat's times (`getconf CLK_TCK`, 100 nearly everywhere). */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time of the process itself, in ms: utime + stime (fields 14 and 15 of /proc/<pid>/stat),
 * all its threads, none of its children. Undefined once it is gone.
 */
export function ownCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // Fields after the command (which may hold spaces): field 3 (state) is at index 0.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** Busy and all jiffies of the whole machine since boot (/proc/stat; user nice system irq softirq are busy). */
export function machineJiffies(): { busy: number; all: number } {
  const f = (readFileSync("/proc/stat", "latin1").split("\n")[0] ?? "").split(/\s+/).slice(1).map(Number);
  const at = (i: number) => f[i] ?? 0;
  return { busy: at(0) + at(1) + at(2) + at(5) + at(6), all: f.reduce((x, y) => x + y, 0) };
}

/** VmHWM (peak) and VmRSS (now) of a process in MiB; undefined once it is gone. */
export function memoryMiB(pid: number): { peak: number; now: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const peak = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
    const now = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
    return Number.isNaN(peak) ? undefined : { peak, now };
  } catch {
    return undefined;
  }
}

/**
 * Polls a process's own CPU time (and, with `memory`, its VmHWM/VmRSS) every `intervalMs` while it
 * runs, keeping the last reading: what it had used at most one interval before it ended.
 * `check` runs after every sample (to kill a process past a bound, say).
 */
export class ProcWatch {
  cpuMs = Number.NaN;
  peakMiB = Number.NaN;
  rssMiB = Number.NaN;
  private timer: NodeJS.Timeout;

  constructor(
    readonly pid: number,
    intervalMs: number,
    options: { memory?: boolean; check?: (watch: ProcWatch) => void } = {},
  ) {
    const sample = () => {
      const cpu = ownCpuMs(pid);
      if (cpu !== undefined) this.cpuMs = cpu;
      if (options.memory) {
        const mem = memoryMiB(pid);
        if (mem) {
          this.peakMiB = mem.peak;
          this.rssMiB = mem.now;
        }
      }
      options.check?.(this);
    };
    sample();
    this.timer = setInterval(sample, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

// ---------------------------------------------------------------- numbered lines and their checker

export const padFor = (bytes: number) => "abcdefghijklmnopqrstuvwxyz".repeat(8).slice(0, bytes - 10);

/** `n` lines of exactly `bytes` bytes with their "\n": `L0000001 abcd…`, numbered from 1. */
export function linesFile(bytes: number, n: number): string {
  const file = join(OUT, `lines-${bytes}B-${n}.txt`);
  if (existsSync(file) && statSync(file).size === bytes * n) return file;
  const pad = padFor(bytes);
  const fd = openSync(`${file}.tmp`, "w");
  for (let i = 1; i <= n; i += 10_000) {
    let chunk = "";
    for (let j = i; j < Math.min(i + 10_000, n + 1); j++) chunk += `L${String(j).padStart(7, "0")} ${pad}\n`;
    writeSync(fd, chunk);
  }
  closeSync(fd);
  renameSync(`${file}.tmp`, file);
  return file;
}

export type Format = Tool | "bare";
export interface Integrity {
  /** (service, line) pairs delivered whole, up to the number expected of each. */
  whole: number;
  expected: number;
  malformed: number;
  missing: number;
  duplicated: number;
  examples: string[];
}
export const broken = (c: Integrity) => c.malformed + c.missing + c.duplicated;
export const describe = (c: Integrity) =>
  `${int(c.malformed)} malformed, ${int(c.missing)} missing, ${int(c.duplicated)} duplicated`;

const ARROW = Buffer.from("▸").toString("latin1");
const STATUS: Record<Format, RegExp> = {
  // `mirrord-up: …`, `s3 ▸ started (pid 1)`, and the summary's `  s3  exited with code 0 after 2ms`.
  "mirrord-up": new RegExp(`^(mirrord-up: |s\\d+ +${ARROW} |  s\\d+ +\\S)`),
  // `[s3] cat /path exited with code 0`
  concurrently: /^\[s\d+\] [^L].* exited with code \S+$/,
  bare: /^$(?!)/,
};

/**
 * Reads an output file line by line: every application line must be one whole input line with
 * its service's prefix (`s3 | ` or `[s3] `, nothing for "bare"), each (service, line number)
 * exactly once ("bare": `services` times each). Status lines of the tools are skipped; anything
 * else is malformed.
 */
export function checkOutput(
  file: string,
  format: Format,
  services: number,
  lines: number,
  bytes: number,
): Integrity {
  const pad = padFor(bytes);
  const perKey = format === "bare" ? services : 1;
  const keys = format === "bare" ? 1 : services;
  const counts = Array.from({ length: keys }, () => new Uint8Array(lines + 1));
  let malformed = 0;
  const examples: string[] = [];
  const bad = (line: string) => {
    malformed++;
    if (examples.length < 3)
      examples.push(JSON.stringify(line.length > 150 ? `${line.slice(0, 150)}…` : line));
  };
  const classify = (text: string, a: number, b: number) => {
    let key = 0;
    let p = a;
    if (format === "mirrord-up" && text.charCodeAt(a) === 115) {
      let i = a + 1;
      key = 0;
      while (i < b && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57)
        key = key * 10 + text.charCodeAt(i++) - 48;
      let j = i;
      while (j < b && text.charCodeAt(j) === 32) j++;
      p = i > a + 1 && j > i && text.startsWith("| ", j) ? j + 2 : -1;
    } else if (format === "concurrently" && text.startsWith("[s", a)) {
      let i = a + 2;
      key = 0;
      while (i < b && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57)
        key = key * 10 + text.charCodeAt(i++) - 48;
      p = i > a + 2 && text.startsWith("] ", i) ? i + 2 : -1;
    } else if (format !== "bare") {
      p = -1;
    }
    if (
      p >= 0 &&
      key < keys &&
      b - p === bytes - 1 &&
      text.charCodeAt(p) === 76 &&
      text.charCodeAt(p + 8) === 32 &&
      text.startsWith(pad, p + 9)
    ) {
      let num = 0;
      for (let k = 1; k <= 7; k++) {
        const d = text.charCodeAt(p + k) - 48;
        num = d >= 0 && d <= 9 ? num * 10 + d : -1e9;
      }
      const slot = counts[key] as Uint8Array;
      if (num >= 1 && num <= lines) {
        if ((slot[num] as number) < 255) (slot[num] as number)++;
        return;
      }
    }
    const line = text.slice(a, b);
    if (!STATUS[format].test(line)) bad(Buffer.from(line, "latin1").toString("utf8"));
  };
  const fd = openSync(file, "r");
  const buffer = Buffer.allocUnsafe(8 << 20);
  let rest = "";
  for (;;) {
    const n = readSync(fd, buffer, 0, buffer.length, null);
    if (n === 0) break;
    const text = rest + buffer.toString("latin1", 0, n);
    let from = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", from)) {
      classify(text, from, nl);
      from = nl + 1;
    }
    rest = text.slice(from);
  }
  closeSync(fd);
  if (rest) bad(`${Buffer.from(rest, "latin1").toString("utf8")} (no newline at the end)`);
  let whole = 0;
  let missing = 0;
  let duplicated = 0;
  for (const slot of counts) {
    for (let num = 1; num <= lines; num++) {
      const c = slot[num] as number;
      whole += Math.min(c, perKey);
      if (c < perKey) missing += perKey - c;
      else duplicated += c - perKey;
    }
  }
  return { whole, expected: keys * lines * perKey, malformed, missing, duplicated, examples };
}

/** A count for people: 1,234,567. */
export function int(v: number): string {
  return Math.round(v).toLocaleString("en-US");
}
