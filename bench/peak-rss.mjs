// Peak RSS and CPU of launch variants of the scale scenario, alternating (never run by CI):
//
//   node bench/peak-rss.mjs SECONDS REPS N "label|command ..." ...
//
// Each command is split on spaces; YAML stands for bench/out/scale-N.yaml (written by
// `npm run bench -- --only scale`), CONC for concurrently's bin file with the same services. A
// leading NAME=value sets an environment variable. VmHWM, VmRSS and own CPU (utime + stime, 100
// ticks/s) of the launched process are read from /proc at SECONDS, then its process group gets
// SIGINT (SIGKILL after 10 s).
//
//   node bench/peak-rss.mjs 20 2 50 "bin|bin/mirrord-up.js -f YAML -k b --no-color" \
//     "node|node bin/mirrord-up.js -f YAML -k b --no-color" "concurrently|CONC"
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const [seconds, reps, n, ...variants] = process.argv.slice(2);
if (!variants.length) {
  process.stderr.write("usage: node bench/peak-rss.mjs SECONDS REPS N 'label|command ...' ...\n");
  process.exit(2);
}
const yaml = join(ROOT, "bench", "out", `scale-${n}.yaml`);
const concurrently = join(ROOT, "node_modules", "concurrently", "dist", "bin", "concurrently.js");
const services = readFileSync(yaml, "utf8")
  .split("\n")
  .slice(1)
  .filter(Boolean)
  .map((line) => {
    const m = /^ {2}(\w+): .*command: \[sh, -c, (".*")\]\}\}$/.exec(line);
    if (!m) throw new Error(`${yaml}: unexpected line ${line}`);
    return [m[1], JSON.parse(m[2])];
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mib = (status, key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)[1]) / 1024;
const results = {};
for (let rep = 0; rep < Number(reps); rep++) {
  for (const variant of rep % 2 ? [...variants].reverse() : variants) {
    const [label, command] = variant.split("|");
    const argv = command
      .split(" ")
      .filter(Boolean)
      .map((a) => (a === "YAML" ? yaml : a));
    const at = argv.indexOf("CONC");
    if (at >= 0)
      argv.splice(
        at,
        1,
        concurrently,
        "--names",
        services.map((s) => s[0]).join(","),
        ...services.map((s) => s[1]),
      );
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` };
    while (/^[A-Z_]+=/.test(argv[0])) {
      const [key, ...value] = argv.shift().split("=");
      env[key] = value.join("=");
    }
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: "ignore", env, cwd: ROOT });
    const ended = new Promise((r) => child.on("exit", r));
    await sleep(Number(seconds) * 1000);
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
    const cpu = (Number(stat[11]) + Number(stat[12])) / 100;
    const row = { hwm: mib(status, "VmHWM"), rss: mib(status, "VmRSS"), cpu };
    results[label] = [...(results[label] ?? []), row];
    console.log(
      `${label}: VmHWM ${row.hwm.toFixed(1)} MiB, VmRSS ${row.rss.toFixed(1)} MiB, CPU ${cpu.toFixed(2)} s`,
    );
    process.kill(-child.pid, "SIGINT");
    const timer = setTimeout(() => process.kill(-child.pid, "SIGKILL"), 10_000);
    await ended;
    clearTimeout(timer);
    await sleep(500);
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // the group is gone
    }
  }
}
for (const [label, rows] of Object.entries(results)) {
  const median = (key) => rows.map((r) => r[key]).sort((a, b) => a - b)[rows.length >> 1];
  console.log(
    `${label}: median VmHWM ${median("hwm").toFixed(1)} MiB (${rows.map((r) => r.hwm.toFixed(1)).join(", ")}), CPU ${median("cpu").toFixed(2)} s (${rows.map((r) => r.cpu.toFixed(2)).join(", ")})`,
  );
}
