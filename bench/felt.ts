/**
 * What users feel (issue part 11, item 7): six figures of mirrord-up run as users run it (the bin
 * file, executed), each beside a yardstick measured in the same run, alternating which goes first.
 * bench/run.ts runs them (`--felt`, or `--only first-session,...`) and writes their table into
 * RESULTS.md's section "What users feel".
 *
 *   first-session  launch of `mirrord-up` on 10 local services → the first app runs its first
 *                  instruction (it writes the time) | `node -e 0`, spawn → exit
 *   restart-one    `mirrord-up restart s3` of 10 → s3's program runs again (it writes the time) |
 *                  the same program started directly, spawn → its first instruction
 *   round-trip     `mirrord-up ps`, `mirrord-up logs -n 100` against that running up | `node -e 0`
 *   validate       `mirrord-up validate` of a 30-service templated file | `node -e 0`
 *   memory-soak    50 services × 10 lines/s for 10 min (--soak-minutes): RSS every 5 s; growth
 *                  after the first minute | RSS at the end of the first minute
 *   dashboard-cpu  `up --dashboard`, 50 services × 100 lines/s, the page open in chromium:
 *                  mirrord-up's own CPU % over a window | the same with no page open
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { config as dashboardConfig, openDashboard } from "./dashboard.js";
import {
  CLK_TCK,
  killMarked,
  type Launched,
  launch,
  launchCommand,
  MIRRORD_UP,
  markedPids,
  median,
  memoryMiB,
  nowMs,
  OUT,
  ownCpuMs,
  psRows,
  ROOT,
  sleep,
  stopGroup,
  until,
} from "./lib.js";

export const FELT = [
  "first-session",
  "restart-one",
  "round-trip",
  "validate",
  "memory-soak",
  "dashboard-cpu",
] as const;
export type Felt = (typeof FELT)[number];

/** Default repetitions (each one a mirrord-up run and a yardstick run, alternating). */
export const FELT_REPS: Record<Felt, number> = {
  "first-session": 10,
  "restart-one": 10,
  "round-trip": 15,
  validate: 15,
  "memory-soak": 1,
  "dashboard-cpu": 3,
};

export interface FeltSize {
  services: number;
  soakServices: number;
  soakMs: number;
  /** The first stretch of the soak, left out of the growth (start-up, JIT, buffers filling). */
  soakWarmMs: number;
  soakSampleMs: number;
  dashboardServices: number;
  /** Lines per burst, ten bursts a second per service. */
  dashboardBurst: number;
  dashboardWindowMs: number;
}

export function feltSize(quick: boolean, soakMinutes: number | undefined): FeltSize {
  return quick
    ? {
        services: 10,
        soakServices: 10,
        soakMs: (soakMinutes ?? 0.3) * 60_000,
        soakWarmMs: 5_000,
        soakSampleMs: 1_000,
        dashboardServices: 10,
        dashboardBurst: 10,
        dashboardWindowMs: 3_000,
      }
    : {
        services: 10,
        soakServices: 50,
        soakMs: (soakMinutes ?? 10) * 60_000,
        soakWarmMs: 60_000,
        soakSampleMs: 5_000,
        dashboardServices: 50,
        dashboardBurst: 10,
        dashboardWindowMs: 20_000,
      };
}

export interface FeltRow {
  scenario: Felt;
  metric: string;
  unit: string;
  yardstick: string;
  values: number[];
  yard: number[];
  notes: string[];
}

const STAMP = join(ROOT, "bench", "apps", "stamp.mjs");
const NODE = process.execPath;

const order = <T>(items: readonly T[], rep: number): T[] => (rep % 2 ? [...items].reverse() : [...items]);

/** A fresh directory for a scenario; its control socket lives in it too. */
function scenarioDir(name: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = join(OUT, "felt", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return { dir, env: { MIRRORD_UP_RUNTIME_DIR: join(dir, "run"), TMPDIR: dir } };
}

const localYaml = (services: [string, string[]][]) =>
  `services:\n${services.map(([name, command]) => `  ${name}: {run: {type: local, command: ${JSON.stringify(command)}}}\n`).join("")}`;

/** Wall ms from spawn to exit of a short command; throws unless it exits 0. */
async function timed(run: Launched, what: string): Promise<number> {
  const end = await run.ended;
  if (end.code !== 0) throw new Error(`${what} exited ${end.code ?? end.signal}`);
  return end.at - run.launchedAt;
}

const nodeE0 = (cwd: string) => timed(launchCommand(NODE, ["-e", "0"], { cwd }), "node -e 0");

/** Times written by bench/apps/stamp.mjs or `echo $EPOCHREALTIME` (seconds) into a file. */
function stamps(file: string, seconds = false): number[] {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((t) => Number(t) * (seconds ? 1000 : 1));
  } catch {
    return [];
  }
}

/** `mirrord-up ps --format json` of the up running in `dir` (the bin, as users run it). */
function ps(dir: string, env: NodeJS.ProcessEnv): { name: string; state: string; pid: number | null }[] {
  return psRows([MIRRORD_UP], dir, { ...process.env, ...env });
}

// ---------------------------------------------------------------- first-session

async function firstSession(reps: number, size: FeltSize): Promise<FeltRow[]> {
  const { dir, env } = scenarioDir("first-session");
  const n = size.services;
  // bash's $EPOCHREALTIME is a builtin: the time is taken in the app's first instruction, no fork.
  const services = Array.from({ length: n }, (_, i): [string, string[]] => [
    `s${i}`,
    ["bash", "-c", `echo $EPOCHREALTIME > ${dir}/started-${i}; exec sleep 3600`],
  ]);
  writeFileSync(join(dir, "mirrord-up.yaml"), localYaml(services));
  const row: FeltRow = {
    scenario: "first-session",
    metric: `ms from launching \`mirrord-up\` (${n} local services) until the first app runs`,
    unit: "ms",
    yardstick: "`node -e 0`, spawn → exit",
    values: [],
    yard: [],
    notes: [],
  };
  const all: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const who of order(["up", "yard"] as const, rep)) {
      if (who === "yard") {
        row.yard.push(await nodeE0(dir));
        continue;
      }
      for (let i = 0; i < n; i++) rmSync(join(dir, `started-${i}`), { force: true });
      const run = launch(MIRRORD_UP, ["-k", "bench"], { cwd: dir, env });
      const starts = () => Array.from({ length: n }, (_, i) => stamps(join(dir, `started-${i}`), true)[0]);
      if (!(await until(() => starts().every((t) => t !== undefined), 30_000))) {
        killMarked(run.marker);
        throw new Error("first-session: not every app started");
      }
      const times = starts() as number[];
      row.values.push(Math.min(...times) - run.launchedAt);
      all.push(Math.max(...times) - run.launchedAt);
      if (Number.isNaN(await stopGroup(run))) row.notes.push("processes still alive 20 s after Ctrl-C");
    }
  }
  row.notes.push(
    `Each app is \`bash -c 'echo $EPOCHREALTIME > file; exec sleep 3600'\` (type: local, no mirrord: the stand-in's own Node helper would add its start-up, not ours). All ${n} running: median ${median(all).toFixed(0)} ms after launch.`,
  );
  return [row];
}

// ---------------------------------------------------------------- restart-one and round-trip

/** An up of `n` services, each bench/apps/stamp.mjs, after printing `lines` lines. */
async function upOfStamps(
  name: string,
  n: number,
  lines: number,
): Promise<{ dir: string; env: NodeJS.ProcessEnv; run: Launched; stampFile: (i: number) => string }> {
  const { dir, env } = scenarioDir(name);
  const stampFile = (i: number) => join(dir, `stamp-s${i}`);
  // With no lines to print, the program itself is the service (as the yardstick starts it).
  const services = Array.from({ length: n }, (_, i): [string, string[]] => [
    `s${i}`,
    lines === 0
      ? [NODE, STAMP, stampFile(i)]
      : [
          "bash",
          "-c",
          `for ((l=1; l<=${lines}; l++)); do echo "s${i} line $l of a service starting up"; done; exec ${NODE} ${STAMP} ${stampFile(i)}`,
        ],
  ]);
  writeFileSync(join(dir, "mirrord-up.yaml"), localYaml(services));
  const run = launch(MIRRORD_UP, ["-k", "bench"], { cwd: dir, env });
  const ready = () => Array.from({ length: n }, (_, i) => stamps(stampFile(i)).length).every((c) => c > 0);
  if (!(await until(() => ready() && ps(dir, env).length === n, 60_000, 50))) {
    killMarked(run.marker);
    throw new Error(`${name}: the ${n} services did not start`);
  }
  return { dir, env, run, stampFile };
}

async function restartOne(reps: number, size: FeltSize): Promise<FeltRow[]> {
  const n = size.services;
  const { dir, env, run, stampFile } = await upOfStamps("restart-one", n, 0);
  const row: FeltRow = {
    scenario: "restart-one",
    metric: `ms from \`mirrord-up restart s3\` (1 of ${n}) until s3's program runs again`,
    unit: "ms",
    yardstick: "the same program (node bench/apps/stamp.mjs) started directly, spawn → first instruction",
    values: [],
    yard: [],
    notes: [],
  };
  const cliMs: number[] = [];
  const direct = join(dir, "stamp-direct");
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const who of order(["up", "yard"] as const, rep)) {
        if (who === "yard") {
          rmSync(direct, { force: true });
          const app = launchCommand(NODE, [STAMP, direct], { cwd: dir });
          if (!(await until(() => stamps(direct).length > 0, 30_000)))
            throw new Error("stamp.mjs did not start");
          row.yard.push((stamps(direct)[0] as number) - app.launchedAt);
          killMarked(app.marker);
          await app.exited;
          continue;
        }
        const before = stamps(stampFile(3)).length;
        const others = Array.from({ length: n }, (_, i) => stamps(stampFile(i)).length);
        const cli = launch(MIRRORD_UP, ["restart", "s3"], { cwd: dir, env });
        if (!(await until(() => stamps(stampFile(3)).length > before, 30_000))) {
          throw new Error("restart-one: s3 did not run again");
        }
        row.values.push((stamps(stampFile(3))[before] as number) - cli.launchedAt);
        cliMs.push(await timed(cli, "mirrord-up restart s3"));
        const moved = others.filter((c, i) => i !== 3 && stamps(stampFile(i)).length !== c).length;
        if (moved) row.notes.push(`run ${rep + 1}: ${moved} other service(s) started again`);
      }
    }
  } finally {
    await stopGroup(run);
  }
  row.notes.push(
    `Services are local (\`node bench/apps/stamp.mjs\`, which writes the time of its first instruction). The restart's time minus the yardstick is what mirrord-up adds to the program's own start: a new Node process for the command, the request, SIGTERM and the old program's exit, the spawn. \`mirrord-up restart\` itself exited after a median ${median(cliMs).toFixed(0)} ms.`,
  );
  return [row];
}

async function roundTrip(reps: number, size: FeltSize): Promise<FeltRow[]> {
  const n = size.services;
  const { dir, env, run } = await upOfStamps("round-trip", n, 150);
  const psRow: FeltRow = {
    scenario: "round-trip",
    metric: `ms for \`mirrord-up ps\` (up of ${n} services), spawn → exit`,
    unit: "ms",
    yardstick: "`node -e 0`, spawn → exit",
    values: [],
    yard: [],
    notes: [],
  };
  const logsRow: FeltRow = {
    ...psRow,
    metric: `ms for \`mirrord-up logs -n 100\` (up of ${n} services, 150 lines each: 100 per service printed), spawn → exit`,
    values: [],
    yard: [],
    notes: [],
  };
  const out = join(dir, "logs.out");
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const who of order(["ps", "logs", "yard"] as const, rep)) {
        if (who === "yard") {
          const ms = await nodeE0(dir);
          psRow.yard.push(ms);
          logsRow.yard.push(ms);
        } else if (who === "ps") {
          psRow.values.push(await timed(launch(MIRRORD_UP, ["ps"], { cwd: dir, env }), "mirrord-up ps"));
        } else {
          const fd = openSync(out, "w");
          const cli = launch(MIRRORD_UP, ["logs", "-n", "100"], {
            cwd: dir,
            env,
            stdio: ["ignore", fd, "ignore"],
          });
          closeSync(fd);
          logsRow.values.push(await timed(cli, "mirrord-up logs -n 100"));
          const got = readFileSync(out, "utf8").split(" of a service starting up\n").length - 1;
          if (got !== 100 * n)
            logsRow.notes.push(`run ${rep + 1}: ${got} application lines printed, not ${100 * n}`);
        }
      }
    }
  } finally {
    await stopGroup(run);
  }
  psRow.notes.push(
    "Each a new process of the bin (`#!/usr/bin/env node`), one request over the control socket; the same `node -e 0` runs are the yardstick of both.",
  );
  return [psRow, logsRow];
}

// ---------------------------------------------------------------- validate

/** 30 services from loops over teams and indices, with filters, tests, conditionals and get_env. */
const TEMPLATED = `{% set teams = ["api", "web", "worker"] %}
{% set ns = get_env(name="BENCH_NAMESPACE", default="Staging") %}
services:
{% for team in teams %}{% for i in range(end=10) %}
  {{ team }}-{{ i }}:
    target:
      path: deployment/{{ team | lower }}-{{ i }}
      namespace: {{ ns | lower }}
    env:
      override:
        TEAM: "{{ team | upper }}"
        TITLE: "{{ team | title }} {{ i }}"
        PORT: "{{ 8000 + i * 10 }}"
        {% if i is even %}ROLE: "even-{{ team | replace(from='r', to='R') }}"{% else %}ROLE: odd{% endif %}
    run: {command: [node, "{{ team }}/server.js", "--port", "{{ 8000 + i * 10 }}"]}
{% endfor %}{% endfor %}
`;

async function validate(reps: number): Promise<FeltRow[]> {
  const { dir, env } = scenarioDir("validate");
  writeFileSync(join(dir, "mirrord-up.yaml"), TEMPLATED);
  const row: FeltRow = {
    scenario: "validate",
    metric: "ms for `mirrord-up validate` of a 30-service templated file, spawn → exit",
    unit: "ms",
    yardstick: "`node -e 0`, spawn → exit",
    values: [],
    yard: [],
    notes: [
      "The file: two nested `for` loops (3 teams × `range(end=10)`), `get_env`, `lower`/`upper`/`title`/`replace`, an `is even` test, arithmetic; exit code 0 checked.",
    ],
  };
  for (let rep = 0; rep < reps; rep++) {
    for (const who of order(["up", "yard"] as const, rep)) {
      if (who === "yard") row.yard.push(await nodeE0(dir));
      else
        row.values.push(
          await timed(launch(MIRRORD_UP, ["validate"], { cwd: dir, env }), "mirrord-up validate"),
        );
    }
  }
  return [row];
}

// ---------------------------------------------------------------- memory-soak

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const mx = points.reduce((s, [x]) => s + x, 0) / points.length;
  const my = points.reduce((s, [, y]) => s + y, 0) / points.length;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den ? num / den : Number.NaN;
}

/** A bash service printing ten lines a second with builtins only (no fork per line). */
const chatty = (name: string) => [
  "bash",
  "-c",
  `exec 3<> <(:); i=0; while :; do i=$((i+1)); echo "${name} line $i of a chatty service"; read -t 0.1 -u 3; done`,
];

async function memorySoak(reps: number, size: FeltSize): Promise<FeltRow[]> {
  const { dir, env } = scenarioDir("memory-soak");
  const n = size.soakServices;
  writeFileSync(
    join(dir, "mirrord-up.yaml"),
    localYaml(Array.from({ length: n }, (_, i): [string, string[]] => [`c${i}`, chatty(`c${i}`)])),
  );
  const minutes = size.soakMs / 60_000;
  const warm = size.soakWarmMs / 1000;
  const what = `${n} services × 10 lines/s for ${minutes} min, output to a file`;
  const end: FeltRow = {
    scenario: "memory-soak",
    metric: `RSS MiB of mirrord-up at the end (${what})`,
    unit: "MiB",
    yardstick: `its RSS at ${warm} s`,
    values: [],
    yard: [],
    notes: [],
  };
  const growth: FeltRow = {
    scenario: "memory-soak",
    metric: `RSS growth after the first ${warm} s, MiB/min (least-squares slope)`,
    unit: "MiB/min",
    yardstick: "",
    values: [],
    yard: [],
    notes: [],
  };
  for (let rep = 0; rep < reps; rep++) {
    const out = join(dir, "soak.out");
    const fd = openSync(out, "w");
    const run = launch(MIRRORD_UP, ["-k", "bench"], { cwd: dir, env, stdio: ["ignore", fd, "ignore"] });
    closeSync(fd);
    const pid = run.child.pid as number;
    const samples: [number, number][] = [];
    /** Bytes of output written when the first stretch ended. */
    let outAtWarm = 0;
    try {
      for (let t = 0; t <= size.soakMs; t += size.soakSampleMs) {
        await sleep(run.launchedAt + t - nowMs());
        const mem = memoryMiB(pid);
        if (!mem) throw new Error("memory-soak: mirrord-up exited");
        samples.push([t / 60_000, mem.now]);
        if (!outAtWarm && t >= size.soakWarmMs) outAtWarm = statSync(out).size;
      }
      const after = samples.filter(([m]) => m * 60_000 >= size.soakWarmMs);
      const atWarm = (after[0] as [number, number])[1];
      const last = (samples.at(-1) as [number, number])[1];
      end.values.push(last);
      end.yard.push(atWarm);
      growth.values.push(slope(after));
      const peak = memoryMiB(pid)?.peak ?? Number.NaN;
      const lines = readFileSync(out, "latin1").split(" of a chatty service\n").length - 1;
      // The log buffer (src/run/log-buffer.ts) keeps the last 10,000 lines of each service: at
      // 10 lines/s it fills for 1,000 s, so until then RSS grows by what it keeps, by design.
      const grew = (statSync(out).size - outAtWarm) / 1024;
      end.notes.push(
        `run ${rep + 1}: after the first stretch mirrord-up wrote ${grew.toFixed(0)} KiB of output (prefixes included); the log buffer keeps each service's last 10,000 lines, full after 1,000 s at 10 lines/s, so until then it grows by the lines it keeps.`,
      );
      end.notes.push(
        `run ${rep + 1}: RSS every ${size.soakSampleMs / 1000} s (MiB): ${samples.map(([, r]) => r.toFixed(1)).join(" ")}; peak ${peak.toFixed(1)} MiB; ${lines.toLocaleString("en-US")} lines written (at most ${(n * 10 * (size.soakMs / 1000)).toLocaleString("en-US")}).`,
      );
    } finally {
      await stopGroup(run);
      rmSync(out, { force: true });
    }
  }
  end.notes.push(
    "VmRSS from /proc/<pid>/status; the difference column is the growth after the first stretch (end − at its end).",
  );
  return [end, growth];
}

// ---------------------------------------------------------------- dashboard-cpu

async function dashboardCpu(reps: number, size: FeltSize): Promise<FeltRow[]> {
  const { dir, env } = scenarioDir("dashboard-cpu");
  const n = size.dashboardServices;
  const rate = size.dashboardBurst * 10;
  writeFileSync(join(dir, "mirrord-up.yaml"), dashboardConfig(true, n, size.dashboardBurst));
  const seconds = size.dashboardWindowMs / 1000;
  const row: FeltRow = {
    scenario: "dashboard-cpu",
    metric: `mirrord-up's own CPU % over ${seconds} s, \`up --dashboard\`, ${n} services × ${rate} lines/s, the page open in chromium`,
    unit: "%",
    yardstick: "the same with no page open",
    values: [],
    yard: [],
    notes: [],
  };
  for (let rep = 0; rep < reps; rep++) {
    for (const who of order(["page", "none"] as const, rep)) {
      const run = launch(MIRRORD_UP, ["up", "--dashboard", "-k", "bench"], {
        cwd: dir,
        env,
        stdio: ["ignore", "pipe", "ignore"],
      });
      // The terminal output is read (and dropped) as a terminal would.
      let head = "";
      const url = await new Promise<string>((resolve, reject) => {
        run.child.stdout?.on("data", (chunk: Buffer) => {
          if (head.length < 100_000) head += chunk.toString();
          const match = /^dashboard: (\S+)$/m.exec(head);
          if (match) resolve(match[1] as string);
        });
        run.child.on("exit", () => reject(new Error(`up exited:\n${head.slice(0, 2000)}`)));
      });
      const pid = run.child.pid as number;
      const opened = who === "page" ? await openDashboard(url, run.marker, n) : undefined;
      try {
        if (!opened) {
          const running = () => markedPids(run.marker).filter((p) => p !== pid).length >= n;
          if (!(await until(running, 60_000, 100))) throw new Error("dashboard-cpu: services did not start");
          await sleep(3000); // as the page's warm-up
        }
        const t1 = nowMs();
        const cpu1 = ownCpuMs(pid) ?? Number.NaN;
        await sleep(size.dashboardWindowMs);
        const cpu2 = ownCpuMs(pid) ?? Number.NaN;
        const percent = ((cpu2 - cpu1) / (nowMs() - t1)) * 100;
        (who === "page" ? row.values : row.yard).push(percent);
      } finally {
        await opened?.browser.close().catch(() => {});
        await stopGroup(run);
      }
    }
  }
  row.notes.push(
    `CPU % = utime+stime of the mirrord-up process alone (/proc/<pid>/stat, ${1000 / CLK_TCK} ms ticks) over the window, 100 % = one core; the window starts 3 s after the page shows all ${n} rows (or all services run). Chromium (headless, 1280×800) runs on the same 2 cores.`,
  );
  return [row];
}

// ---------------------------------------------------------------- running and reporting

export function runFelt(name: Felt, reps: number, size: FeltSize): Promise<FeltRow[]> {
  switch (name) {
    case "first-session":
      return firstSession(reps, size);
    case "restart-one":
      return restartOne(reps, size);
    case "round-trip":
      return roundTrip(reps, size);
    case "validate":
      return validate(reps);
    case "memory-soak":
      return memorySoak(reps, size);
    case "dashboard-cpu":
      return dashboardCpu(reps, size);
  }
}

function fmt(v: number): string {
  if (Number.isNaN(v)) return "n/a";
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function summary(values: number[]): string {
  if (!values.length) return "—";
  const m = fmt(median(values));
  return values.length === 1 ? m : `${m} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
}

/** The table of the felt figures, with every run and the notes below it. */
export function feltReport(rows: FeltRow[]): string {
  const lines = [
    "| scenario | what | mirrord-up median (min–max) | yardstick | yardstick median (min–max) | ratio | mirrord-up − yardstick | runs |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const has = row.yard.length > 0;
    const ratio = has ? `${(median(row.values) / median(row.yard)).toFixed(2)}` : "—";
    const diff = has ? `${fmt(median(row.values) - median(row.yard))} ${row.unit}` : "—";
    lines.push(
      `| ${row.scenario} | ${row.metric} | ${summary(row.values)} | ${row.yardstick || "—"} | ${summary(row.yard)} | ${ratio} | ${diff} | ${row.values.length} |`,
    );
  }
  const details = rows.flatMap((row) => [
    `- **${row.scenario}**, ${row.metric}: ${row.values.map(fmt).join(", ")}${row.yard.length ? `; yardstick: ${row.yard.map(fmt).join(", ")}` : ""}`,
    ...row.notes.map((note) => `  - ${note}`),
  ]);
  return `${lines.join("\n")}\n\nRatio: mirrord-up's median over the yardstick's, both measured in the same run, alternating. All runs:\n\n${details.join("\n")}\n`;
}
