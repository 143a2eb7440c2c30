// What one spawn costs a Node process of a given size (a bound for the launch of 100 services).
// Node's spawn forks the whole process and waits until the child has exec'd, so the cost grows
// with what the parent has mapped. Spawns 100 `/bin/sh -c 'exec sleep 5'` (detached, three
// pipes, like a session) after allocating N MiB, and prints the mean time per spawn call.
//
//   node bench/spawn-cost.mjs [MiB]
import { spawn } from "node:child_process";

const mib = Number(process.argv[2] ?? 0);
const kept = [];
for (let i = 0; i < mib; i++) kept.push(Buffer.alloc(1 << 20, 1));
const objects = [];
for (let i = 0; i < mib * 2000; i++) objects.push({ i, s: `x${i}` });
const children = [];
const t0 = performance.now();
for (let i = 0; i < 100; i++) {
  children.push(
    spawn("/bin/sh", ["-c", "exec sleep 5"], { detached: true, stdio: ["ignore", "pipe", "pipe", "pipe"] }),
  );
}
const perSpawn = (performance.now() - t0) / 100;
const rss = process.memoryUsage().rss / 2 ** 20;
console.log(
  `RSS ${rss.toFixed(0)} MiB: ${perSpawn.toFixed(2)} ms per spawn (${mib > 0 ? `${mib} MiB of` : "no"} ballast)`,
);
for (const child of children) process.kill(-child.pid, "SIGKILL");
process.exit(0);
