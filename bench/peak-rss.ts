/**
 * Peak RSS and CPU of launch variants of the scale scenario, alternating (never run by CI):
 *
 *   node --import tsx bench/peak-rss.ts SECONDS REPS N "label|command ..." ...
 *
 * Each command is split on spaces; YAML stands for bench/out/scale-N.yaml (written by
 * `npm run bench -- --only scale`), CONC for concurrently's bin file with the same services. A
 * leading NAME=value sets an environment variable. VmHWM, VmRSS and own CPU of the launched process
 * are read from /proc at SECONDS, then its process group gets Ctrl-C (`stopGroup`).
 *
 *   node --import tsx bench/peak-rss.ts 20 2 50 "bin|bin/mirrord-up.js -f YAML -k b --no-color" \
 *     "node|node bin/mirrord-up.js -f YAML -k b --no-color" "concurrently|CONC"
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CONCURRENTLY,
  launchVariant,
  median,
  memoryMiB,
  OUT,
  ownCpuMs,
  record,
  sleep,
  stopGroup,
} from "./lib.js";

const [seconds, reps, n, ...variants] = process.argv.slice(2);
if (!variants.length) {
  process.stderr.write("usage: node --import tsx bench/peak-rss.ts SECONDS REPS N 'label|command ...' ...\n");
  process.exit(2);
}
const yaml = join(OUT, `scale-${n}.yaml`);
const services = readFileSync(yaml, "utf8")
  .split("\n")
  .slice(1)
  .filter(Boolean)
  .map((line): [string, string] => {
    const m = /^ {2}(\w+): .*command: \[sh, -c, (".*")\]\}\}$/.exec(line);
    if (!m) throw new Error(`${yaml}: unexpected line ${line}`);
    return [m[1] as string, JSON.parse(m[2] as string) as string];
  });
const expand = (word: string): string[] =>
  word === "YAML"
    ? [yaml]
    : word === "CONC"
      ? [CONCURRENTLY, "--names", services.map((s) => s[0]).join(","), ...services.map((s) => s[1])]
      : [word];
const hwm: Record<string, number[]> = {};
const cpu: Record<string, number[]> = {};
for (let rep = 0; rep < Number(reps); rep++) {
  for (const variant of rep % 2 ? [...variants].reverse() : variants) {
    const { label, run } = launchVariant(variant, expand);
    await sleep(Number(seconds) * 1000);
    const pid = run.child.pid as number;
    const memory = memoryMiB(pid);
    const cpuSeconds = (ownCpuMs(pid) ?? Number.NaN) / 1000;
    record(hwm, label, memory?.peak ?? Number.NaN);
    record(cpu, label, cpuSeconds);
    console.log(
      `${label}: VmHWM ${memory?.peak.toFixed(1)} MiB, VmRSS ${memory?.now.toFixed(1)} MiB, CPU ${cpuSeconds.toFixed(2)} s`,
    );
    await stopGroup(run);
  }
}
for (const [label, peaks] of Object.entries(hwm)) {
  const cpus = cpu[label] ?? [];
  console.log(
    `${label}: median VmHWM ${median(peaks).toFixed(1)} MiB (${peaks.map((v) => v.toFixed(1)).join(", ")}), CPU ${median(cpus).toFixed(2)} s (${cpus.map((v) => v.toFixed(2)).join(", ")})`,
  );
}
