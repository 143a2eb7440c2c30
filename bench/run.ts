/**
 * mirrord-up side by side with concurrently 9, on the same commands, alternating which runs first,
 * several repetitions each; medians and the ratio mirrord-up / concurrently.
 *
 *   npm run bench                      # all scenarios, print a table
 *   npm run bench -- --write           # also write bench/RESULTS.md
 *   npm run bench -- --only stop --reps 9
 *
 * Never run by CI: numbers depend on the machine; only the side-by-side ratio means anything.
 */
import { execFileSync, spawn } from "node:child_process";
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  CONCURRENTLY,
  killMarked,
  launch,
  MIRRORD_UP,
  markedPids,
  median,
  nowMs,
  OUT,
  peakRssMiB,
  ROOT,
  record,
  STAND_IN_MIRRORD,
  sleep,
  TOOLS,
  until,
} from "./lib.js";

const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const repsArg = args.includes("--reps") ? Number(args[args.indexOf("--reps") + 1]) : undefined;
const write = args.includes("--write");

const LINES = 200_000;
const SERVICES = 10;

interface Row {
  scenario: string;
  metric: string;
  better: "higher" | "lower";
  values: Record<string, number[]>;
  notes?: string[];
}
const rows: Row[] = [];

mkdirSync(OUT, { recursive: true });

// ---------------------------------------------------------------- 1. throughput
async function throughput(reps: number) {
  const file = join(OUT, "lines.txt");
  if (!existsSync(file)) {
    const pad = "abcdefghijklmnopqrstuvwxyz".repeat(4).slice(0, 92);
    let text = "";
    for (let i = 0; i < LINES; i++) text += `L${String(i).padStart(6, "0")} ${pad}\n`;
    writeFileSync(file, text);
  }
  const names = Array.from({ length: SERVICES }, (_, i) => `s${i}`);
  const yaml = join(OUT, "throughput.yaml");
  writeFileSync(
    yaml,
    `services:\n${names.map((n) => `  ${n}: {run: {type: local, command: [cat, ${JSON.stringify(file)}]}}\n`).join("")}`,
  );
  const contenders: Record<string, { run(out: string): Promise<number>; line: RegExp }> = {
    "mirrord-up": {
      run: (out) => timed(MIRRORD_UP, ["-f", yaml, "--keep-going", "-k", "bench", "--no-color"], out),
      line: /^s\d \| L\d{6} [a-z]{92}$/,
    },
    concurrently: {
      run: (out) => timed(CONCURRENTLY, ["--names", names.join(","), ...names.map(() => `cat ${file}`)], out),
      line: /^\[s\d\] L\d{6} [a-z]{92}$/,
    },
    "sed per process (floor)": {
      run: (out) => timedShell(`${names.map((n) => `sed 's/^/${n} | /' ${file} &`).join(" ")} wait`, out),
      line: /^s\d \| L\d{6} [a-z]{92}$/,
    },
    // Through one pipe: straight to a file, coreutils cat uses copy_file_range, which ignores the
    // shared file offset and overwrites the other cats' output.
    "plain cat through one pipe, no prefix (limit)": {
      run: (out) => timedShell(`{ ${names.map(() => `cat ${file} &`).join(" ")} wait; } | cat`, out),
      line: /^L\d{6} [a-z]{92}$/,
    },
  };
  const row: Row = {
    scenario: "throughput",
    metric: "lines/s (10 × 200k lines)",
    better: "higher",
    values: {},
    notes: [],
  };
  const malformed: Record<string, number[]> = {};
  for (let rep = 0; rep < reps; rep++) {
    const order = Object.keys(contenders);
    if (rep % 2) order.reverse();
    for (const name of order) {
      const c = contenders[name]!;
      const out = join(OUT, "throughput.out");
      const seconds = await c.run(out);
      const { good, bad } = await checkLines(out, c.line);
      record(row.values, name, (SERVICES * LINES) / seconds);
      record(malformed, name, bad + (SERVICES * LINES - good));
      rmSync(out, { force: true });
    }
  }
  for (const [name, counts] of Object.entries(malformed)) {
    row.notes!.push(`${name}: malformed or missing lines per run: ${counts.join(", ")}`);
  }
  rows.push(row);
}

async function timed(entry: string, argv: string[], outFile: string): Promise<number> {
  const fd = openSync(outFile, "w");
  const run = launch(entry, argv, { cwd: ROOT, stdio: ["ignore", fd, "ignore"] });
  const code = await run.exited;
  const seconds = (nowMs() - run.launchedAt) / 1000;
  closeSync(fd);
  if (code !== 0) throw new Error(`${entry} exited ${code}`);
  return seconds;
}

async function timedShell(script: string, outFile: string): Promise<number> {
  const fd = openSync(outFile, "w");
  const t0 = nowMs();
  await new Promise((r) => spawn("bash", ["-c", script], { stdio: ["ignore", fd, "ignore"] }).on("exit", r));
  closeSync(fd);
  return (nowMs() - t0) / 1000;
}

/** Application lines that are exactly one whole input line with its prefix, and all other lines. */
async function checkLines(file: string, line: RegExp): Promise<{ good: number; bad: number }> {
  let good = 0;
  let bad = 0;
  const status = /^(mirrord-up: | {2}s\d {2}|s\d ▸ |\[s\d\] cat .* exited with code)/;
  for await (const l of createInterface({
    input: createReadStream(file),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    if (line.test(l)) good++;
    else if (!status.test(l) && l !== "") bad++;
  }
  return { good, bad };
}

// ---------------------------------------------------------------- 2. start
async function start(reps: number) {
  const n = 20;
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
  const row: Row = {
    scenario: "start",
    metric: "ms until 20 apps run (stand-in mirrord)",
    better: "lower",
    values: {},
  };
  for (let rep = 0; rep < reps; rep++) {
    for (const tool of rep % 2 ? [...TOOLS].reverse() : TOOLS) {
      for (let i = 0; i < n; i++) rmSync(join(dir, `started-${i}`), { force: true });
      const run =
        tool === "mirrord-up"
          ? launch(MIRRORD_UP, ["-f", yaml, "-k", "bench"], { cwd: dir, env })
          : launch(CONCURRENTLY, commands, { cwd: dir, env });
      const ok = await until(
        () => Array.from({ length: n }, (_, i) => existsSync(join(dir, `started-${i}`))).every(Boolean),
        30_000,
      );
      if (!ok) throw new Error(`${tool}: not all apps started`);
      await sleep(50);
      const last = Math.max(
        ...Array.from(
          { length: n },
          (_, i) => Number(readFileSync(join(dir, `started-${i}`), "utf8").trim()) / 1e6,
        ),
      );
      record(row.values, tool, last - run.launchedAt);
      await stopGroup(run);
    }
  }
  rows.push(row);
}

/** Ctrl-C as a terminal sends it (to the whole foreground process group), then waits for all to go. */
async function stopGroup(run: ReturnType<typeof launch>): Promise<number> {
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

// ---------------------------------------------------------------- 3. stop
async function stop(reps: number) {
  const n = 20;
  const dir = join(OUT, "stop");
  mkdirSync(dir, { recursive: true });
  // Each service is bash waiting on a child; both exit on SIGINT or SIGTERM.
  const command = "sleep 3600; :";
  const yaml = join(dir, "mirrord-up.yaml");
  writeFileSync(
    yaml,
    `services:\n${Array.from({ length: n }, (_, i) => `  s${i}: {run: {type: local, command: [bash, -c, "${command}"]}}\n`).join("")}`,
  );
  const row: Row = {
    scenario: "stop",
    metric: "ms from Ctrl-C until every process is gone",
    better: "lower",
    values: {},
    notes: [],
  };
  for (let rep = 0; rep < reps; rep++) {
    for (const tool of rep % 2 ? [...TOOLS].reverse() : TOOLS) {
      const run =
        tool === "mirrord-up"
          ? launch(MIRRORD_UP, ["-f", yaml, "-k", "bench"], { cwd: dir })
          : launch(
              CONCURRENTLY,
              Array.from({ length: n }, () => `bash -c '${command}'`),
              { cwd: dir },
            );
      // runner (+ watchdog for mirrord-up) + per service: bash and its child (+ sh -c for concurrently)
      const expected = tool === "mirrord-up" ? 2 + 2 * n : 1 + 3 * n;
      if (!(await until(() => markedPids(run.marker).length >= expected, 30_000))) {
        throw new Error(`${tool}: only ${markedPids(run.marker).length} of ${expected} processes started`);
      }
      await sleep(200);
      const ms = await stopGroup(run);
      if (Number.isNaN(ms)) row.notes!.push(`${tool}: processes were still alive 20 s after Ctrl-C (killed)`);
      record(row.values, tool, ms);
    }
  }
  rows.push(row);
}

// ---------------------------------------------------------------- 4. memory
async function memory(reps: number) {
  const n = 50;
  const dir = join(OUT, "memory");
  mkdirSync(dir, { recursive: true });
  const steady = join(ROOT, "bench", "apps", "steady.mjs");
  const yaml = join(dir, "mirrord-up.yaml");
  writeFileSync(
    yaml,
    `services:\n${Array.from({ length: n }, (_, i) => `  s${i}: {run: {type: local, command: [node, ${JSON.stringify(steady)}]}}\n`).join("")}`,
  );
  const row: Row = {
    scenario: "memory",
    metric: "peak RSS MiB of the orchestrator, 50 services logging",
    better: "lower",
    values: {},
    notes: [],
  };
  const watchdog: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const tool of rep % 2 ? [...TOOLS].reverse() : TOOLS) {
      const run =
        tool === "mirrord-up"
          ? launch(MIRRORD_UP, ["-f", yaml, "-k", "bench"], {
              cwd: dir,
              stdio: ["ignore", "ignore", "ignore"],
            })
          : launch(
              CONCURRENTLY,
              Array.from({ length: n }, () => `node ${steady}`),
              { cwd: dir },
            );
      await sleep(8000);
      record(row.values, tool, peakRssMiB(run.child.pid as number));
      if (tool === "mirrord-up") {
        const dog = markedPids(run.marker).find((pid) =>
          readFileSync(`/proc/${pid}/cmdline`, "latin1").includes("mirrord-up-watchdog"),
        );
        if (dog) watchdog.push(peakRssMiB(dog));
      }
      await stopGroup(run);
    }
  }
  row.notes!.push(
    `mirrord-up's watchdog process (separate, not included above): median ${median(watchdog).toFixed(1)} MiB`,
  );
  rows.push(row);
}

// ---------------------------------------------------------------- report
function report(): string {
  const lines = [
    "| scenario | metric | mirrord-up (median) | concurrently (median) | ratio mirrord-up/concurrently | runs |",
    "|---|---|---|---|---|---|",
  ];
  const fmt = (v: number) => (v >= 1000 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1));
  for (const row of rows) {
    const mu = median(row.values["mirrord-up"] ?? []);
    const cc = median(row.values.concurrently ?? []);
    lines.push(
      `| ${row.scenario} | ${row.metric} (${row.better} is better) | ${fmt(mu)} | ${fmt(cc)} | ${(mu / cc).toFixed(2)} | ${row.values["mirrord-up"]?.length ?? 0} each |`,
    );
    for (const [name, values] of Object.entries(row.values)) {
      if (name === "mirrord-up" || name === "concurrently") continue;
      lines.push(
        `| ${row.scenario} | ${name}: ${row.metric} | ${fmt(median(values))} | | | ${values.length} |`,
      );
    }
  }
  const details = rows.flatMap((row) => [
    `- **${row.scenario}**: ${Object.entries(row.values)
      .map(([name, values]) => `${name}: ${values.map((v) => fmt(v)).join(", ")}`)
      .join("; ")}`,
    ...(row.notes ?? []).map((n) => `  - ${n}`),
  ]);
  return `${lines.join("\n")}\n\nAll runs:\n\n${details.join("\n")}\n`;
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? "unknown";
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}, Node ${process.version}, concurrently ${JSON.parse(readFileSync(join(ROOT, "node_modules", "concurrently", "package.json"), "utf8")).version}`;
}

const scenarios: Record<string, [(reps: number) => Promise<void>, number]> = {
  throughput: [throughput, 5],
  start: [start, 7],
  stop: [stop, 9],
  memory: [memory, 3],
};
for (const [name, [fn, defaultReps]] of Object.entries(scenarios)) {
  if (only && only !== name) continue;
  process.stderr.write(`bench: ${name}...\n`);
  await fn(repsArg ?? defaultReps);
}
const text = report();
process.stdout.write(`${machine()}\n\n${text}`);
if (write) {
  const date = new Date().toISOString().slice(0, 10);
  writeFileSync(
    join(ROOT, "bench", "RESULTS.md"),
    `# Benchmark results\n\nMeasured ${date} on ${machine()}.\nReproduce with \`npm ci && npm run bench -- --write\` (never run by CI).\n\n${text}`,
  );
}
