/**
 * Where the start of N `sh -c` services spends its time (never run by CI):
 *
 *   node --import tsx bench/start-timeline.ts N REPS "label|command ..." ...
 *
 * Each command is split on spaces; YAML stands for a file of N local services, each `sh -c
 * 'date +%s%N > started-I; exec sleep 3600'` (written to bench/out/timeline/), CONC for
 * concurrently's bin file with the same N commands and names, COMMANDS for the N commands alone (for
 * the bounds in bench/apps: `floor.mjs raw`, `helper-launch.mjs`); a leading NAME=value sets an
 * environment variable. Every 100 ms until the last app has run, one line: the whole machine's busy
 * CPU (/proc/stat, 200 % = both cores), the launched process's own CPU in that interval, and how many
 * apps have run. Then, per variant, the median of REPS runs: own CPU until the last app ran, and
 * when the median and the last app ran after launch.
 *
 *   node --import tsx bench/start-timeline.ts 100 5 "up|bin/mirrord-up.js -f YAML -k b --no-color" "concurrently|CONC"
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  appsStarted,
  CONCURRENTLY,
  launchVariant,
  machineJiffies,
  median,
  nowMs,
  OUT,
  ownCpuMs,
  record,
  sleep,
  stopGroup,
} from "./lib.js";

const [n, reps, ...variants] = process.argv.slice(2);
if (!variants.length) {
  process.stderr.write("usage: node --import tsx bench/start-timeline.ts N REPS 'label|command ...' ...\n");
  process.exit(2);
}
const count = Number(n);
const dir = join(OUT, "timeline");
mkdirSync(dir, { recursive: true });
const commands = Array.from({ length: count }, (_, i) => `date +%s%N > ${dir}/started-${i}; exec sleep 3600`);
const names = commands.map((_, i) => `s${i}`);
const yaml = join(dir, "mirrord-up.yaml");
writeFileSync(
  yaml,
  `services:\n${commands.map((c, i) => `  ${names[i]}: {run: {type: local, command: [sh, -c, ${JSON.stringify(c)}]}}\n`).join("")}`,
);
const expand = (word: string): string[] =>
  word === "YAML"
    ? [yaml]
    : word === "CONC"
      ? [CONCURRENTLY, "--names", names.join(","), ...commands]
      : word === "COMMANDS"
        ? commands
        : [word];
const startFile = (i: number) => join(dir, `started-${i}`);
const started = () => appsStarted(dir, count);
const results: Record<string, { cpu: number; mid: number; last: number }[]> = {};
for (let rep = 0; rep < Number(reps); rep++) {
  for (const variant of rep % 2 ? [...variants].reverse() : variants) {
    for (let i = 0; i < count; i++) rmSync(startFile(i), { force: true });
    const { label, run } = launchVariant(variant, expand);
    const pid = run.child.pid as number;
    const lines: string[] = [];
    let before = machineJiffies();
    let ownBefore = 0;
    while (started() < count && nowMs() - run.launchedAt < 60_000) {
      await sleep(100);
      const now = machineJiffies();
      const own = ownCpuMs(pid) ?? Number.NaN;
      const busy = ((now.busy - before.busy) / Math.max(1, now.all - before.all)) * 200;
      lines.push(
        `  ${(nowMs() - run.launchedAt).toFixed(0).padStart(5)} ms  machine ${busy.toFixed(0).padStart(3)} %  own ${String(own - ownBefore).padStart(3)} ms  apps ${started()}`,
      );
      before = now;
      ownBefore = own;
    }
    const cpu = ownCpuMs(pid) ?? Number.NaN;
    const times = Array.from(
      { length: count },
      (_, i) => Number(readFileSync(startFile(i), "latin1").trim()) / 1e6 - run.launchedAt,
    ).sort((a, b) => a - b);
    const row = { cpu, mid: times[count >> 1] ?? Number.NaN, last: times[count - 1] ?? Number.NaN };
    record(results, label, row);
    process.stdout.write(
      `${label} run ${rep + 1}: own CPU ${cpu} ms, median app ${row.mid.toFixed(0)} ms, last ${row.last.toFixed(0)} ms\n${lines.join("\n")}\n`,
    );
    await stopGroup(run);
  }
}
for (const [label, rows] of Object.entries(results)) {
  const m = (key: "cpu" | "mid" | "last") => median(rows.map((r) => r[key])).toFixed(0);
  process.stdout.write(
    `${label}: median of ${rows.length}: own CPU ${m("cpu")} ms, median app ${m("mid")} ms, last app ${m("last")} ms\n`,
  );
}
