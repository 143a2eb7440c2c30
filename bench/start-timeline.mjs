// Where the start of N `sh -c` services spends its time (never run by CI):
//
//   node bench/start-timeline.mjs N REPS "label|command ..." ...
//
// Each command is split on spaces; YAML stands for a file of N local services, each `sh -c
// 'date +%s%N > started-I; exec sleep 3600'` (written to bench/out/timeline/), CONC for
// concurrently's bin file with the same N commands and names. Every 100 ms until the last app has run, one
// line: the whole machine's busy CPU (/proc/stat, 200 % = both cores), the launched process's own
// CPU in that interval, and how many apps have run. Then, per variant, the median of REPS runs:
// own CPU until the last app ran, and when the median and the last app ran after launch.
//
//   node bench/start-timeline.mjs 100 5 "up|bin/mirrord-up.js -f YAML -k b --no-color" "concurrently|CONC"
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const [n, reps, ...variants] = process.argv.slice(2);
if (!variants.length) {
  process.stderr.write("usage: node bench/start-timeline.mjs N REPS 'label|command ...' ...\n");
  process.exit(2);
}
const count = Number(n);
const dir = join(ROOT, "bench", "out", "timeline");
mkdirSync(dir, { recursive: true });
const commands = Array.from({ length: count }, (_, i) => `date +%s%N > ${dir}/started-${i}; exec sleep 3600`);
const yaml = join(dir, "mirrord-up.yaml");
writeFileSync(
  yaml,
  `services:\n${commands.map((c, i) => `  s${i}: {run: {type: local, command: [sh, -c, ${JSON.stringify(c)}]}}\n`).join("")}`,
);
const concurrently = join(ROOT, "node_modules", "concurrently", "dist", "bin", "concurrently.js");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// An app has run when its time is in its file (the file exists as soon as its shell opened it).
const wrote = (file) => {
  try {
    return statSync(file).size > 0;
  } catch {
    return false;
  }
};
const started = () =>
  Array.from({ length: count }, (_, i) => wrote(join(dir, `started-${i}`))).filter(Boolean).length;
const machine = () => {
  const f = readFileSync("/proc/stat", "latin1").split("\n")[0].split(/\s+/).slice(1).map(Number);
  // user nice system irq softirq are busy; idle and iowait are not.
  return { busy: f[0] + f[1] + f[2] + f[5] + f[6], all: f.reduce((a, b) => a + b, 0) };
};
const ownCpuMs = (pid) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "latin1").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return Number.NaN;
  }
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const results = {};
for (let rep = 0; rep < Number(reps); rep++) {
  for (const variant of rep % 2 ? [...variants].reverse() : variants) {
    const [label, command] = variant.split("|");
    const names = commands.map((_, i) => `s${i}`).join(",");
    const words = command === "CONC" ? [concurrently, "--names", names, ...commands] : command.split(" ");
    const env = { ...process.env };
    while (/^[A-Z_]+=/.test(words[0])) {
      const [key, ...value] = words.shift().split("=");
      env[key] = value.join("=");
    }
    for (let i = 0; i < count; i++) rmSync(join(dir, `started-${i}`), { force: true });
    const [file, ...args] = words.map((w) => (w === "YAML" ? yaml : w));
    const launchedAt = performance.timeOrigin + performance.now();
    const child = spawn(file, args, { cwd: ROOT, detached: true, stdio: "ignore", env });
    const lines = [];
    let before = machine();
    let ownBefore = 0;
    while (started() < count && performance.timeOrigin + performance.now() - launchedAt < 60_000) {
      await sleep(100);
      const now = machine();
      const own = ownCpuMs(child.pid);
      const at = performance.timeOrigin + performance.now() - launchedAt;
      const busy = ((now.busy - before.busy) / Math.max(1, now.all - before.all)) * 200;
      lines.push(
        `  ${at.toFixed(0).padStart(5)} ms  machine ${busy.toFixed(0).padStart(3)} %  own ${String(own - ownBefore).padStart(3)} ms  apps ${started()}`,
      );
      before = now;
      ownBefore = own;
    }
    const cpu = ownCpuMs(child.pid);
    await sleep(50);
    const times = Array.from(
      { length: count },
      (_, i) => Number(readFileSync(join(dir, `started-${i}`), "latin1").trim()) / 1e6 - launchedAt,
    ).sort((a, b) => a - b);
    const row = { cpu, mid: times[count >> 1], last: times[count - 1] };
    results[label] = [...(results[label] ?? []), row];
    process.stdout.write(
      `${label} run ${rep + 1}: own CPU ${cpu} ms, median app ${row.mid.toFixed(0)} ms, last ${row.last.toFixed(0)} ms\n${lines.join("\n")}\n`,
    );
    const ended = new Promise((resolve) => child.on("exit", resolve));
    process.kill(-child.pid, "SIGINT");
    const kill = setTimeout(() => process.kill(-child.pid, "SIGKILL"), 10_000);
    await ended;
    clearTimeout(kill);
    await sleep(300);
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
}
for (const [label, rows] of Object.entries(results)) {
  const m = (key) => median(rows.map((r) => r[key])).toFixed(0);
  process.stdout.write(
    `${label}: median of ${rows.length}: own CPU ${m("cpu")} ms, median app ${m("mid")} ms, last app ${m("last")} ms\n`,
  );
}
