/**
 * mirrord-up side by side with concurrently 9, on the same processes (each service is `sh -c
 * "<the same string>"` for both tools), alternating which runs first, several repetitions each;
 * medians with min–max, and the ratio mirrord-up / concurrently where one means something.
 *
 *   npm run bench                        # all scenarios, print a table
 *   npm run bench -- --write             # also write bench/RESULTS.md
 *   npm run bench -- --only pipe --reps 3
 *   node --import tsx bench/run.ts --quick   # every size shrunk ~10–25×: checks the harness in ~1 min
 *
 * Scenarios (--only NAME, or NAME,NAME; default repetitions in brackets):
 *   sustained  10 services × `cat` of 1,000,000 numbered lines, 100 B and 20 B lines, to a file [5]:
 *              lines/s and the orchestrator's own CPU per million lines, both minus a 1-line run of
 *              the same shape; every (service, line) checked to arrive whole exactly once. Beside
 *              them 10 `cat`s through one pipe (the limit). mirrord-up alone, 100 B: the same with
 *              stdout a pipe whose reader stalls; both tools with both cores kept busy.
 *   pressure   only those runs under pressure [5].
 *   pipe       10 × 100,000 lines of 100 B, stdout a pipe read at ~2 MB/s [3]: lines delivered
 *              whole, malformed lines, peak RSS, how it ended (bounded: 3 GiB RSS, 120 s).
 *   scale      50 and 200 services printing 10 lines/s for 20 s [3]: own CPU % and peak RSS.
 *   start100   100 local services: launch → every app has run its first instruction [5].
 *   stop100    the same 100: Ctrl-C → every process gone (same launches as start100).
 *   start      20 services through the stand-in mirrord (examples/mirrord-stand-in) [7].
 * What users feel (bench/felt.ts; `--felt` runs these six, each beside a yardstick of the same run):
 *   first-session, restart-one, round-trip, validate, memory-soak (`--soak-minutes N`, 10 by
 *   default), dashboard-cpu. `--write` rewrites only the RESULTS.md sections of what ran.
 *
 * Never run by CI: numbers depend on the machine; only the side-by-side ratio means anything.
 */

import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { FELT, FELT_REPS, type FeltRow, feltReport, feltSize, runFelt } from "./felt.js";
import {
  appsStarted,
  broken,
  CLK_TCK,
  CONCURRENTLY,
  checkOutput,
  cmdline,
  describe,
  type Format,
  type Integrity,
  int,
  killAllLaunched,
  killMarked,
  type Launched,
  launch,
  launchCommand,
  linesFile,
  MIRRORD_UP,
  markedPids,
  median,
  nowMs,
  OUT,
  ownCpuMs,
  ProcWatch,
  peakRssMiB,
  ROOT,
  record,
  STAND_IN_MIRRORD,
  sleep,
  stopGroup,
  TOOLS,
  type Tool,
  until,
} from "./lib.js";

const args = process.argv.slice(2);
const SCENARIOS = [
  "sustained",
  "pressure",
  "pipe",
  "scale",
  "start100",
  "stop100",
  "start",
  ...FELT,
] as const;
const only = args.includes("--felt")
  ? [...FELT]
  : args.includes("--only")
    ? (args[args.indexOf("--only") + 1] ?? "").split(",")
    : undefined;
for (const name of only ?? []) {
  if (!(SCENARIOS as readonly string[]).includes(name)) {
    process.stderr.write(`bench: unknown scenario ${name} (one of: ${SCENARIOS.join(", ")})\n`);
    process.exit(2);
  }
}
const repsArg = args.includes("--reps") ? Number(args[args.indexOf("--reps") + 1]) : undefined;
if (repsArg !== undefined && !(Number.isInteger(repsArg) && repsArg > 0)) {
  process.stderr.write("bench: --reps needs a whole number above 0\n");
  process.exit(2);
}
const soakArg = args.includes("--soak-minutes")
  ? Number(args[args.indexOf("--soak-minutes") + 1])
  : undefined;
if (soakArg !== undefined && !(soakArg > 0)) {
  process.stderr.write("bench: --soak-minutes needs a number above 0\n");
  process.exit(2);
}
const write = args.includes("--write");
const quick = args.includes("--quick");
if (quick && write) {
  process.stderr.write("bench: --quick checks the harness; its numbers are not results (no --write)\n");
  process.exit(2);
}

/** Every size of every scenario; --quick shrinks them ~10–25× (and the repetitions to 2). */
const SIZE = quick
  ? {
      sustainedLines: 40_000,
      pipeLines: 4_000,
      pipeLimitMs: 30_000,
      scaleServices: [5, 10],
      scaleSeconds: 2,
      hundred: 10,
      start: 5,
      stallRunMs: 100,
      stallPauseMs: 30,
    }
  : {
      sustainedLines: 1_000_000,
      pipeLines: 100_000,
      pipeLimitMs: 120_000,
      scaleServices: [50, 200],
      scaleSeconds: 20,
      hundred: 100,
      start: 20,
      stallRunMs: 1000,
      stallPauseMs: 300,
    };
const SERVICES = 10;
/** The slow reader of the pipe scenario, bytes per second. */
const READER_RATE = 2_000_000;
/** concurrently (or anything) past this RSS in the pipe scenario is killed. */
const LIMIT_MIB = 3 * 1024;
/** How often the orchestrator's /proc/<pid>/stat is read while it runs. */
const POLL_MS = 10;
const READER = join(ROOT, "bench", "apps", "reader.mjs");
const UP_ARGS = ["-k", "bench", "--no-color"];

interface Row {
  scenario: string;
  metric: string;
  better: "higher" | "lower";
  /** Per contender, one value per run. */
  values: Record<string, number[]>;
  /** False: a result per tool, the ratio means nothing (counts of broken lines, exit states). */
  ratio?: boolean;
  notes: string[];
}
const rows: Row[] = [];
const newRow = (scenario: string, metric: string, better: Row["better"], ratio = true): Row => {
  const row: Row = { scenario, metric, better, values: {}, ratio, notes: [] };
  rows.push(row);
  return row;
};

// Whatever happens (an exception, Ctrl-C of the bench), no process of ours outlives the bench.
process.on("exit", killAllLaunched);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    killAllLaunched();
    process.exit(130);
  });
}

mkdirSync(OUT, { recursive: true });

const order = <T>(items: readonly T[], rep: number): T[] => (rep % 2 ? [...items].reverse() : [...items]);
const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const yamlOf = (services: [string, string][]) =>
  `services:\n${services.map(([name, command]) => `  ${name}: {run: {type: local, command: [sh, -c, ${JSON.stringify(command)}]}}\n`).join("")}`;

/** The launch of a tool, all services being `sh -c` of the given strings. */
function start(
  tool: Tool,
  yaml: string,
  services: [string, string][],
  options: { upArgs?: string[]; stdout?: number | "ignore"; cwd?: string } = {},
): Launched {
  const stdio = ["ignore", options.stdout ?? "ignore", "ignore"] as ["ignore", number | "ignore", "ignore"];
  const cwd = options.cwd ?? OUT;
  return tool === "mirrord-up"
    ? launch(MIRRORD_UP, ["-f", yaml, ...UP_ARGS, ...(options.upArgs ?? [])], { cwd, stdio })
    : launch(
        CONCURRENTLY,
        ["--names", services.map(([name]) => name).join(","), ...services.map(([, command]) => command)],
        { cwd, stdio },
      );
}

interface Watched {
  wallMs: number;
  /** Own utime+stime at the last poll before the exit. */
  cpuMs: number;
  peakMiB: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the bench killed it, if it did. */
  killed?: string;
}

/** Polls the orchestrator until it exits; optionally kills it past a memory or time bound. */
async function watchRun(
  run: Launched,
  options: { memory?: boolean; limitMs?: number; limitMiB?: number } = {},
): Promise<Watched> {
  let killed: string | undefined;
  const watch = new ProcWatch(run.child.pid as number, POLL_MS, {
    memory: options.memory,
    check: (w) => {
      if (killed) return;
      if (options.limitMiB && w.rssMiB > options.limitMiB) {
        killed = `killed by the bench: RSS ${int(w.rssMiB)} MiB > ${int(options.limitMiB)} MiB after ${((nowMs() - run.launchedAt) / 1000).toFixed(1)} s`;
      } else if (options.limitMs && nowMs() - run.launchedAt > options.limitMs) {
        killed = `killed by the bench: still running after ${options.limitMs / 1000} s`;
      }
      if (killed) killMarked(run.marker);
    },
  });
  const end = await run.ended;
  watch.stop();
  return {
    wallMs: end.at - run.launchedAt,
    cpuMs: watch.cpuMs,
    peakMiB: watch.peakMiB,
    code: end.code,
    signal: end.signal,
    killed,
  };
}

/** After a run that ended by itself: nothing of it may be left. Kills and reports what is. */
async function leftovers(run: Launched, label: string, notes: string[]): Promise<void> {
  if (await until(() => markedPids(run.marker).length === 0, 5_000, 20)) return;
  const left = markedPids(run.marker).map((pid) => `${pid} ${cmdline(pid).slice(0, 60)}`);
  killMarked(run.marker);
  notes.push(
    `${label}: ${left.length} process(es) still alive 5 s after the orchestrator exited: ${left.join("; ")}`,
  );
}

// ---------------------------------------------------------------- pipes read by a slow reader

/** A timeout for Promise.race that does not keep the bench alive once the race is won. */
const unrefSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * Runs `begin(fd)` with its stdout on a real pipe (a FIFO: Node's own "pipe" is a socketpair)
 * whose only reader is bench/apps/reader.mjs copying into `outFile` as `readerArgs` say.
 */
async function throughReader(
  outFile: string,
  readerArgs: string[],
  begin: (stdout: number) => Launched,
  limits: { limitMs?: number; limitMiB?: number; memory?: boolean },
): Promise<Watched> {
  const fifo = join(OUT, "stdout.fifo");
  rmSync(fifo, { force: true });
  execFileSync("mkfifo", [fifo]);
  // Held open read-write until the reader has opened it: neither open then waits for the other.
  const holder = openSync(fifo, "r+");
  const reader = launchCommand(process.execPath, [READER, fifo, outFile, ...readerArgs], {
    cwd: OUT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const opened = await Promise.race([
    new Promise<boolean>((r) => reader.child.stdout?.once("data", () => r(true))),
    reader.exited.then(() => false),
    unrefSleep(10_000).then(() => false),
  ]);
  if (!opened) {
    closeSync(holder);
    killMarked(reader.marker);
    throw new Error("bench/apps/reader.mjs did not open the FIFO");
  }
  const writer = openSync(fifo, "w");
  closeSync(holder);
  let run: Launched;
  try {
    run = begin(writer);
  } finally {
    closeSync(writer);
  }
  try {
    const watched = await watchRun(run, limits);
    // The pipe holds at most 64 KiB once every writer is gone; the reader has seconds to drain it.
    const drained = await Promise.race([
      reader.exited.then(() => true),
      unrefSleep(30_000).then(() => false),
    ]);
    if (!drained) {
      killMarked(reader.marker);
      throw new Error(`the reader did not see the end of the pipe 30 s after the writer exited`);
    }
    return watched;
  } finally {
    killMarked(run.marker);
    killMarked(reader.marker);
    rmSync(fifo, { force: true });
  }
}

// ---------------------------------------------------------------- 1. sustained throughput

async function sustained(reps: number, parts: { main: boolean; pressure: boolean }) {
  const n = SIZE.sustainedLines;
  const total = SERVICES * n;
  const M = total / 1e6;
  const variants = [100, 20].map((bytes) => {
    const file = linesFile(bytes, n);
    const oneFile = linesFile(bytes, 1);
    const services = (f: string) => names("s", SERVICES).map((s): [string, string] => [s, `cat ${f}`]);
    const full = services(file);
    const one = services(oneFile);
    const yamlFull = join(OUT, `sustained-${bytes}B-${n}.yaml`);
    const yamlOne = join(OUT, `sustained-${bytes}B-1.yaml`);
    writeFileSync(yamlFull, yamlOf(full));
    writeFileSync(yamlOne, yamlOf(one));
    return { bytes, file, oneFile, full, one, yamlFull, yamlOne };
  });
  const CAT = "10 × cat through one pipe, no prefix (limit)";
  // Bounds for one Node process (bench/apps/floor.mjs): what the tools' CPU per line is measured against.
  const FLOOR_RAW = "bound: one Node process passing chunks through (no prefix, lines not kept whole)";
  const FLOOR_FRAMED = "bound: one Node process framing whole lines only (latin1 + replaceAll)";
  const FLOORS = [FLOOR_RAW, FLOOR_FRAMED];
  const contendersFor = (bytes: number) => [...TOOLS, ...(bytes === 100 ? [CAT] : []), ...FLOORS];
  const catScript = (f: string) =>
    `{ ${names("s", SERVICES)
      .map(() => `cat ${f} &`)
      .join(" ")} wait; } | cat`;
  /** One run of a contender with the output in `out`; `full` false: the 1-line run. */
  const once = async (v: (typeof variants)[number], who: string, full: boolean, out: string) => {
    const fd = openSync(out, "w");
    try {
      if (who === CAT) {
        const run = launchCommand("bash", ["-c", catScript(full ? v.file : v.oneFile)], {
          cwd: OUT,
          stdio: ["ignore", fd, "ignore"],
        });
        return { run, watched: await watchRun(run) };
      }
      if (FLOORS.includes(who)) {
        const commands = (full ? v.full : v.one).map(([, command]) => command);
        const mode = who === FLOOR_RAW ? "raw" : "framed";
        const run = launchCommand(
          process.execPath,
          [join(ROOT, "bench", "apps", "floor.mjs"), mode, ...commands],
          {
            cwd: OUT,
            stdio: ["ignore", fd, "ignore"],
          },
        );
        return { run, watched: await watchRun(run) };
      }
      const run = start(who as Tool, full ? v.yamlFull : v.yamlOne, full ? v.full : v.one, {
        upArgs: ["--keep-going"],
        stdout: fd,
      });
      return { run, watched: await watchRun(run) };
    } finally {
      closeSync(fd);
    }
  };
  const wall: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  const integrity: Record<string, Integrity[]> = {};
  const notes: string[] = [];
  const out = join(OUT, "sustained.out");
  for (let rep = 0; rep < (parts.main ? reps : 0); rep++) {
    for (const v of variants) {
      for (const who of order(contendersFor(v.bytes), rep)) {
        const format: Format =
          who === CAT || who === FLOOR_RAW ? "bare" : who === FLOOR_FRAMED ? "mirrord-up" : (who as Tool);
        for (const full of [false, true]) {
          const key = `${v.bytes}|${who}|${full ? "full" : "one"}`;
          const { run, watched } = await once(v, who, full, out);
          if (watched.code !== 0)
            throw new Error(`${who} (${v.bytes} B) exited ${watched.code ?? watched.signal}`);
          await leftovers(run, who, notes);
          record(wall, key, watched.wallMs);
          record(cpu, key, watched.cpuMs);
          const check = checkOutput(out, format, SERVICES, full ? n : 1, v.bytes);
          record(integrity, key, check);
          if (!full && broken(check)) notes.push(`${who}, ${v.bytes} B, 1-line run: ${describe(check)}`);
          rmSync(out, { force: true });
        }
      }
    }
  }
  for (const v of parts.main ? variants : []) {
    const speed = newRow(
      "sustained",
      `lines/s to a file, ${v.bytes} B lines (10 × ${int(n)}, minus the 1-line run)`,
      "higher",
    );
    const cost = newRow(
      "sustained",
      `orchestrator's own CPU ms per million lines, ${v.bytes} B lines (minus the 1-line run)`,
      "lower",
    );
    const bad = newRow(
      "sustained",
      `lines not delivered exactly once, whole (malformed + missing + duplicated), ${v.bytes} B`,
      "lower",
      false,
    );
    for (const who of contendersFor(v.bytes)) {
      const key = `${v.bytes}|${who}`;
      const baseWall = median(wall[`${key}|one`] ?? []);
      const baseCpu = median(cpu[`${key}|one`] ?? []);
      speed.values[who] = (wall[`${key}|full`] ?? []).map((ms) => total / ((ms - baseWall) / 1000));
      speed.notes.push(
        `${who}: full runs ${(wall[`${key}|full`] ?? []).map((ms) => ms.toFixed(0)).join(", ")} ms; 1-line runs ${(wall[`${key}|one`] ?? []).map((ms) => ms.toFixed(0)).join(", ")} ms (median ${baseWall.toFixed(0)} ms subtracted from each full run)`,
      );
      if (who !== CAT) {
        cost.values[who] = (cpu[`${key}|full`] ?? []).map((ms) => (ms - baseCpu) / M);
        cost.notes.push(
          `${who}: own CPU of full runs ${(cpu[`${key}|full`] ?? []).map((ms) => ms.toFixed(0)).join(", ")} ms; 1-line runs ${(cpu[`${key}|one`] ?? []).map((ms) => ms.toFixed(0)).join(", ")} ms (median ${baseCpu.toFixed(0)} ms subtracted)`,
        );
      }
      const checks = integrity[`${key}|full`] ?? [];
      bad.values[who] = checks.map(broken);
      bad.notes.push(`${who}: per run: ${checks.map(describe).join("; ")}`);
      for (const example of checks.flatMap((c) => c.examples).slice(0, 3)) {
        bad.notes.push(`${who}: e.g. ${example}`);
      }
    }
    cost.notes.push(
      `CPU is utime+stime of the orchestrator process alone (/proc/<pid>/stat fields 14+15, ${CLK_TCK} ticks/s = ${1000 / CLK_TCK} ms resolution), polled every ${POLL_MS} ms; the last reading before the exit is kept, so each run misses up to ~${POLL_MS} ms of its end (the same for the 1-line run, which is subtracted). Children (cat, sh, the watchdog) are not included.`,
    );
    if (v.bytes === 100) speed.notes.push(...notes);
  }

  if (parts.pressure) await underPressure(reps, variants[0] as (typeof variants)[number], once, total);
}

/**
 * 100 B lines under pressure: stdout a pipe whose reader stalls (mirrord-up only: integrity), and
 * both cores kept busy by two shell loops (both tools: lines/s minus the 1-line run, as above,
 * and mirrord-up's integrity).
 */
async function underPressure<V extends { yamlFull: string; full: [string, string][] }>(
  reps: number,
  v: V,
  once: (v: V, who: string, full: boolean, out: string) => Promise<{ run: Launched; watched: Watched }>,
  total: number,
) {
  const n = SIZE.sustainedLines;
  const stalled = newRow(
    "sustained",
    `integrity: stdout a pipe whose reader pauses ${SIZE.stallPauseMs} ms every ${SIZE.stallRunMs} ms (100 B, 10 × ${int(n)}): lines not delivered exactly once, whole`,
    "lower",
    false,
  );
  const busy = newRow(
    "sustained",
    `integrity: both cores busy (2 × sh busy loop), to a file (100 B, 10 × ${int(n)}): lines not delivered exactly once, whole`,
    "lower",
    false,
  );
  const busySpeed = newRow(
    "sustained",
    `lines/s to a file with both cores busy (2 × sh busy loop), 100 B lines (10 × ${int(n)}, minus the 1-line run)`,
    "higher",
  );
  const wall: Record<string, number[]> = {};
  for (let rep = 0; rep < reps; rep++) {
    const stallOut = join(OUT, "stalled.out");
    const watched = await throughReader(
      stallOut,
      ["--stall", `${SIZE.stallRunMs}:${SIZE.stallPauseMs}`],
      (fd) => start("mirrord-up", v.yamlFull, v.full, { upArgs: ["--keep-going"], stdout: fd }),
      {},
    );
    const stallCheck = checkOutput(stallOut, "mirrord-up", SERVICES, n, 100);
    rmSync(stallOut, { force: true });
    record(stalled.values, "mirrord-up", broken(stallCheck));
    stalled.notes.push(
      `run ${rep + 1}: ${describe(stallCheck)}; exit ${watched.code ?? watched.signal}; ${(watched.wallMs / 1000).toFixed(2)} s${stallCheck.examples.length ? `; e.g. ${stallCheck.examples.join(" ")}` : ""}`,
    );

    const burners = [0, 1].map(() =>
      launchCommand("sh", ["-c", "while :; do :; done"], { cwd: OUT, stdio: "ignore" }),
    );
    try {
      await sleep(200);
      const busyOut = join(OUT, "busy.out");
      for (const who of order(TOOLS, rep)) {
        for (const full of [false, true]) {
          const { run, watched: w } = await once(v, who, full, busyOut);
          await leftovers(run, who, busy.notes);
          record(wall, `${who}|${full ? "full" : "one"}`, w.wallMs);
          if (full && who === "mirrord-up") {
            const busyCheck = checkOutput(busyOut, "mirrord-up", SERVICES, n, 100);
            record(busy.values, "mirrord-up", broken(busyCheck));
            busy.notes.push(
              `run ${rep + 1}: ${describe(busyCheck)}; exit ${w.code ?? w.signal}; ${(w.wallMs / 1000).toFixed(2)} s${busyCheck.examples.length ? `; e.g. ${busyCheck.examples.join(" ")}` : ""}`,
            );
          }
          rmSync(busyOut, { force: true });
        }
      }
    } finally {
      for (const burner of burners) killMarked(burner.marker);
    }
  }
  for (const who of TOOLS) {
    const base = median(wall[`${who}|one`] ?? []);
    busySpeed.values[who] = (wall[`${who}|full`] ?? []).map((ms) => total / ((ms - base) / 1000));
    busySpeed.notes.push(
      `${who}: full runs ${(wall[`${who}|full`] ?? []).map((ms) => ms.toFixed(0)).join(", ")} ms; 1-line runs ${(wall[`${who}|one`] ?? []).map((ms) => ms.toFixed(0)).join(", ")} ms (median ${base.toFixed(0)} ms subtracted)`,
    );
  }
}

// ---------------------------------------------------------------- 2. pipe with a slow reader

async function pipe(reps: number) {
  const n = SIZE.pipeLines;
  const file = linesFile(100, n);
  const services = names("s", SERVICES).map((s): [string, string] => [s, `cat ${file}`]);
  const yaml = join(OUT, `pipe-${n}.yaml`);
  writeFileSync(yaml, yamlOf(services));
  const what = `10 × ${int(n)} lines of 100 B, stdout a pipe read at ~${READER_RATE / 1e6} MB/s`;
  const whole = newRow("pipe", `lines delivered whole, of ${int(SERVICES * n)} (${what})`, "higher", false);
  const malformed = newRow("pipe", "malformed lines", "lower", false);
  const rss = newRow(
    "pipe",
    "peak RSS MiB of the orchestrator (VmHWM, last poll before its exit)",
    "lower",
    false,
  );
  const seconds = newRow("pipe", "s from launch until the orchestrator exited", "lower", false);
  const endings: Record<string, string[]> = {};
  for (let rep = 0; rep < reps; rep++) {
    for (const tool of order(TOOLS, rep)) {
      const out = join(OUT, "pipe.out");
      const watched = await throughReader(
        out,
        ["--rate", String(READER_RATE)],
        (fd) => start(tool, yaml, services, { upArgs: ["--keep-going"], stdout: fd }),
        { memory: true, limitMs: SIZE.pipeLimitMs, limitMiB: LIMIT_MIB },
      );
      const check = checkOutput(out, tool, SERVICES, n, 100);
      rmSync(out, { force: true });
      record(whole.values, tool, check.whole);
      record(malformed.values, tool, check.malformed);
      record(rss.values, tool, watched.peakMiB);
      record(seconds.values, tool, watched.wallMs / 1000);
      const ending =
        watched.killed ??
        (watched.code === 0 ? "exited normally (0)" : `exited ${watched.code ?? watched.signal}`);
      record(
        endings,
        tool,
        `${ending}; ${describe(check)}${check.examples.length ? `; e.g. ${check.examples[0]}` : ""}`,
      );
    }
  }
  for (const [tool, list] of Object.entries(endings)) {
    const normal = list.filter((e) => e.startsWith("exited normally")).length;
    whole.notes.push(`${tool}: exited normally in ${normal} of ${list.length} runs: ${list.join(" | ")}`);
  }
  rss.notes.push(
    `Bounds: a run is killed past ${int(LIMIT_MIB)} MiB RSS or ${SIZE.pipeLimitMs / 1000} s; VmHWM/VmRSS polled every ${POLL_MS} ms.`,
  );
}

// ---------------------------------------------------------------- 3. scale: many chatty services

async function scale(reps: number) {
  const seconds = SIZE.scaleSeconds;
  // Builtins only: one fork for the process substitution at start, none per line (checked with
  // `strace -f -e trace=clone,clone3,fork,vfork,execve`).
  const script = `exec 3<> <(:); for ((i=1;i<=${10 * seconds};i++)); do echo "line $i of a chatty service"; read -t 0.1 -u 3; done; sleep 3600`;
  const command = `bash -c '${script}'`;
  for (const n of SIZE.scaleServices) {
    const services = names("c", n).map((s): [string, string] => [s, command]);
    const yaml = join(OUT, `scale-${n}.yaml`);
    writeFileSync(yaml, yamlOf(services));
    const what = `${n} services × 10 lines/s for ${seconds} s, output to a file`;
    const cpuRow = newRow(`scale ${n}`, `orchestrator's own CPU % while all print (${what})`, "lower");
    const rssRow = newRow(`scale ${n}`, `peak RSS MiB of the orchestrator (VmHWM at ${seconds} s)`, "lower");
    for (let rep = 0; rep < reps; rep++) {
      for (const tool of order(TOOLS, rep)) {
        const out = join(OUT, "scale.out");
        const fd = openSync(out, "w");
        const run = start(tool, yaml, services, { stdout: fd });
        closeSync(fd);
        const pid = run.child.pid as number;
        // All started: as many chatty bash processes as services (not counting the short-lived
        // fork of the process substitution, whose parent is one of them).
        const chatty = () => {
          const pids = markedPids(run.marker).filter((p) => cmdline(p).startsWith("bash -c exec 3<>"));
          const set = new Set(pids);
          return pids.filter((p) => !set.has(parentOf(p))).length;
        };
        if (!(await until(() => chatty() >= n, 60_000, 100))) {
          killMarked(run.marker);
          throw new Error(`${tool}: only ${chatty()} of ${n} services started`);
        }
        const t1 = nowMs();
        const cpu1 = ownCpuMs(pid) ?? Number.NaN;
        // Each service prints from its own start (≥ launch) for `seconds`: until launch + seconds
        // all of them are printing.
        const t2 = run.launchedAt + seconds * 1000;
        if (t2 - t1 < 500) {
          cpuRow.notes.push(
            `${tool}: services took ${(t1 - run.launchedAt).toFixed(0)} ms to start: no window`,
          );
          record(cpuRow.values, tool, Number.NaN);
        } else {
          await sleep(t2 - nowMs());
          const cpu2 = ownCpuMs(pid) ?? Number.NaN;
          const window = nowMs() - t1;
          record(cpuRow.values, tool, ((cpu2 - cpu1) / window) * 100);
          cpuRow.notes.push(
            `${tool} run ${rep + 1}: window ${(t1 - run.launchedAt).toFixed(0)}–${(window + t1 - run.launchedAt).toFixed(0)} ms after launch, ${(cpu2 - cpu1).toFixed(0)} ms CPU`,
          );
        }
        record(rssRow.values, tool, peakRssMiB(pid));
        const stopped = await stopGroup(run);
        if (Number.isNaN(stopped))
          cpuRow.notes.push(`${tool}: processes still alive 20 s after Ctrl-C (killed)`);
        // A sanity check that both did the work: the lines written until the Ctrl-C.
        const written = readFileSync(out, "latin1").split(" of a chatty service\n").length - 1;
        rssRow.notes.push(
          `${tool} run ${rep + 1}: ${int(written)} lines written until the Ctrl-C (at most ${int(n * 10 * seconds)})`,
        );
        rmSync(out, { force: true });
      }
    }
    cpuRow.notes.push(
      `CPU % = own utime+stime (/proc/<pid>/stat, ${1000 / CLK_TCK} ms ticks) between all services running and ${seconds} s after launch, over that wall time; 100 % = one core.`,
    );
  }
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return -1;
  }
}

// ---------------------------------------------------------------- 4. start and stop of 100 local services

async function hundred(reps: number, measure: { start: boolean; stop: boolean }) {
  const n = SIZE.hundred;
  const dir = join(OUT, "hundred");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const services = names("s", n).map((s, i): [string, string] => [
    s,
    `date +%s%N > ${dir}/started-${i}; exec sleep 3600`,
  ]);
  const yaml = join(dir, "mirrord-up.yaml");
  writeFileSync(yaml, yamlOf(services));
  const startRow = measure.start
    ? newRow("start100", `ms until ${n} local apps run (first instruction)`, "lower")
    : undefined;
  const cpuRow = measure.start
    ? newRow("start100", "orchestrator's own CPU ms until then", "lower")
    : undefined;
  const stopRow = measure.stop
    ? newRow("stop100", `ms from Ctrl-C until every process of ${n} services is gone`, "lower")
    : undefined;
  // An app's file exists once its shell opened it for `date`'s output; it has run when the time is
  // in it (on a busy machine the `date` of many apps is still to come when the last file appears).
  const started = () => appsStarted(dir, n);
  for (let rep = 0; rep < reps; rep++) {
    for (const tool of order(TOOLS, rep)) {
      for (let i = 0; i < n; i++) rmSync(join(dir, `started-${i}`), { force: true });
      const run = start(tool, yaml, services, { cwd: dir });
      if (!(await until(() => started() >= n, 60_000))) {
        killMarked(run.marker);
        throw new Error(`${tool}: only ${started()} of ${n} apps started`);
      }
      const cpu = ownCpuMs(run.child.pid as number) ?? Number.NaN;
      await sleep(50);
      const last = Math.max(
        ...Array.from(
          { length: n },
          (_, i) => Number(readFileSync(join(dir, `started-${i}`), "utf8").trim()) / 1e6,
        ),
      );
      if (startRow && cpuRow) {
        record(startRow.values, tool, last - run.launchedAt);
        record(cpuRow.values, tool, cpu);
      }
      // Every app is `sleep` before the Ctrl-C.
      const sleeping = () => markedPids(run.marker).filter((p) => cmdline(p) === "sleep 3600").length;
      if (!(await until(() => sleeping() >= n, 30_000, 20))) {
        killMarked(run.marker);
        throw new Error(`${tool}: only ${sleeping()} of ${n} apps reached sleep`);
      }
      await sleep(200);
      const ms = await stopGroup(run);
      if (stopRow) {
        if (Number.isNaN(ms))
          stopRow.notes.push(`${tool}: processes were still alive 20 s after Ctrl-C (killed)`);
        record(stopRow.values, tool, ms);
      }
    }
  }
  cpuRow?.notes.push(
    `Read from /proc/<pid>/stat when the last app's file appeared (${1000 / CLK_TCK} ms ticks).`,
  );
}

// ---------------------------------------------------------------- 5. start through the stand-in mirrord

async function startMirrord(reps: number) {
  const n = SIZE.start;
  const dir = join(OUT, "start");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const app = (i: number) => `date +%s%N > ${dir}/started-${i}; exec sleep 3600`;
  const yaml = join(dir, "mirrord-up.yaml");
  writeFileSync(
    yaml,
    `services:\n${Array.from({ length: n }, (_, i) => `  s${i}:\n    target: {path: deployment/s${i}}\n    run: {command: [bash, -c, ${JSON.stringify(app(i))}]}\n`).join("")}`,
  );
  // concurrently runs the same stand-in mirrord with the same configs (the ones mirrord-up writes).
  execFileSync(
    process.execPath,
    [MIRRORD_UP, "config", "-f", yaml, "-k", "bench", "--output-dir", join(dir, "configs")],
    { stdio: "ignore" },
  );
  const commands = Array.from(
    { length: n },
    (_, i) => `${STAND_IN_MIRRORD} exec -f ${dir}/configs/s${i}.json --key bench -- bash -c '${app(i)}'`,
  );
  const env = { MIRRORD_BIN: STAND_IN_MIRRORD, MIRRORD_PROGRESS_MODE: "json" };
  const row = newRow("start", `ms until ${n} apps run (stand-in mirrord)`, "lower");
  for (let rep = 0; rep < reps; rep++) {
    for (const tool of order(TOOLS, rep)) {
      for (let i = 0; i < n; i++) rmSync(join(dir, `started-${i}`), { force: true });
      const run =
        tool === "mirrord-up"
          ? launch(MIRRORD_UP, ["-f", yaml, "-k", "bench"], { cwd: dir, env })
          : launch(CONCURRENTLY, commands, { cwd: dir, env });
      const ok = await until(() => appsStarted(dir, n) === n, 30_000);
      if (!ok) {
        killMarked(run.marker);
        throw new Error(`${tool}: not all apps started`);
      }
      await sleep(50);
      const last = Math.max(
        ...Array.from(
          { length: n },
          (_, i) => Number(readFileSync(join(dir, `started-${i}`), "utf8").trim()) / 1e6,
        ),
      );
      record(row.values, tool, last - run.launchedAt);
      const ms = await stopGroup(run);
      if (Number.isNaN(ms)) row.notes.push(`${tool}: processes were still alive 20 s after Ctrl-C (killed)`);
    }
  }
}

// ---------------------------------------------------------------- report

function fmt(v: number): string {
  if (Number.isNaN(v)) return "n/a";
  if (Math.abs(v) >= 1000 || Number.isInteger(v)) return int(v);
  return Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function summary(values: number[] | undefined): string {
  if (!values?.length) return "—";
  const finite = values.filter((v) => !Number.isNaN(v));
  if (!finite.length) return "n/a";
  const m = fmt(median(finite));
  return finite.length === 1 ? m : `${m} (${fmt(Math.min(...finite))}–${fmt(Math.max(...finite))})`;
}

function report(): string {
  const lines = [
    "| scenario | metric | mirrord-up median (min–max) | concurrently median (min–max) | ratio mirrord-up/concurrently | runs |",
    "|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const mu = row.values["mirrord-up"];
    const cc = row.values.concurrently;
    const ratio =
      row.ratio !== false && mu?.length && cc?.length
        ? (median(mu.filter((v) => !Number.isNaN(v))) / median(cc.filter((v) => !Number.isNaN(v)))).toFixed(2)
        : "—";
    lines.push(
      `| ${row.scenario} | ${row.metric} (${row.better} is better) | ${summary(mu)} | ${summary(cc)} | ${ratio} | ${mu?.length && cc?.length ? `${mu.length} each` : (mu ?? cc ?? []).length} |`,
    );
    for (const [name, values] of Object.entries(row.values)) {
      if (name === "mirrord-up" || name === "concurrently") continue;
      lines.push(`| ${row.scenario} | ${name}: ${row.metric} | ${summary(values)} | | | ${values.length} |`);
    }
  }
  const details = rows.flatMap((row) => [
    `- **${row.scenario}**, ${row.metric}: ${Object.entries(row.values)
      .map(([name, values]) => `${name}: ${values.map(fmt).join(", ")}`)
      .join("; ")}`,
    ...row.notes.map((n) => `  - ${n}`),
  ]);
  return `${lines.join("\n")}\n\nAll runs:\n\n${details.join("\n")}\n`;
}

const SIDE_BY_SIDE = "Side by side with concurrently";
const FELT_HEADING = "What users feel";

/** `page` with the section `## heading` (up to the next `## ` or the end) replaced, or added at the end. */
function replaceSection(page: string, heading: string, body: string): string {
  const section = `## ${heading}\n\n${body.trimEnd()}\n`;
  const start = page.indexOf(`\n## ${heading}\n`);
  if (start === -1) return `${page.trimEnd()}\n\n${section}`;
  const next = page.indexOf("\n## ", start + 1);
  return `${page.slice(0, start + 1)}${section}${next === -1 ? "" : `\n${page.slice(next + 1)}`}`;
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? "unknown";
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}, Node ${process.version}, concurrently ${JSON.parse(readFileSync(join(ROOT, "node_modules", "concurrently", "package.json"), "utf8")).version}`;
}

const DEV_LOOP =
  "Restarting one of ten against Ctrl-C and a new up, and logs -f, are measured by `node --import tsx bench/dev-loop.ts` (bench/DEV-LOOP.md), not here.";

const feltRows: FeltRow[] = [];
const feltSizes = feltSize(quick, soakArg);
const scenarios: [string, () => Promise<void>][] = [
  ["sustained", () => sustained(reps(5), { main: true, pressure: !only?.includes("pressure") })],
  // The pressure runs of sustained alone.
  ["pressure", () => sustained(reps(5), { main: false, pressure: true })],
  ["pipe", () => pipe(reps(3))],
  ["scale", () => scale(reps(3))],
  // start100 and stop100 are the same launches: either name runs them, each reports its own rows.
  [
    "start100",
    () =>
      hundred(reps(5), {
        start: !only || only.includes("start100"),
        stop: !only || only.includes("stop100"),
      }),
  ],
  ["start", () => startMirrord(reps(7))],
  ...FELT.map((name): [string, () => Promise<void>] => [
    name,
    async () => {
      feltRows.push(
        ...(await runFelt(name, reps(FELT_REPS[name], name === "memory-soak" ? 1 : 2), feltSizes)),
      );
    },
  ]),
];
function reps(defaultReps: number, quickReps = 2): number {
  return repsArg ?? (quick ? quickReps : defaultReps);
}

/**
 * The machine's 1-minute load average, read every 10 s while the bench runs: other work on the
 * machine sways every figure, so each page says how busy it was.
 */
const loads: number[] = [];
const readLoad = () => loads.push(Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]));
readLoad();
setInterval(readLoad, 10_000).unref();
const load = () =>
  `1-minute load average ${fmt(median(loads))} (${fmt(Math.min(...loads))}–${fmt(Math.max(...loads))}) over the run, on ${cpus().length} cores`;

const began = nowMs();
for (const [name, fn] of scenarios) {
  // pressure is part of sustained; alone only when named.
  const selected = only
    ? only.includes(name) || (name === "start100" && only.includes("stop100"))
    : name !== "pressure";
  if (!selected) continue;
  process.stderr.write(
    `bench: ${name === "start100" ? "start100/stop100" : name}${quick ? " (--quick)" : ""}...\n`,
  );
  const t0 = nowMs();
  await fn();
  process.stderr.write(`bench: ${name} took ${((nowMs() - t0) / 1000).toFixed(0)} s\n`);
}
readLoad();
const sideBySide = rows.length ? `${report()}\n${DEV_LOOP}\n` : "";
const felt = feltRows.length ? feltReport(feltRows) : "";
process.stdout.write(
  `${machine()}; ${load()}${quick ? `\n--quick: every size shrunk, ${reps(2)} repetition(s): a check of the harness, not results.` : ""}\n\n${sideBySide}${sideBySide && felt ? "\n" : ""}${felt ? `What users feel:\n\n${felt}` : ""}`,
);
process.stderr.write(`bench: done in ${((nowMs() - began) / 1000).toFixed(0)} s\n`);
if (write) {
  const date = new Date().toISOString().slice(0, 10);
  const file = join(ROOT, "bench", "RESULTS.md");
  let page = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark results\n";
  const measured = `Measured ${date} on ${machine()}; ${load()}.`;
  if (sideBySide)
    page = replaceSection(
      page,
      SIDE_BY_SIDE,
      `${measured}\nReproduce with \`npm ci && npm run bench -- --write\` (never run by CI).\n\n${sideBySide}`,
    );
  if (felt)
    page = replaceSection(
      page,
      FELT_HEADING,
      `${measured}\nReproduce with \`npm ci && npm run bench -- --felt --write\` (\`--soak-minutes N\` shortens the soak; never run by CI).\n\n${felt}`,
    );
  writeFileSync(file, page);
}
