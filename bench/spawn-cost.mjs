// What one spawn costs a Node process of a given size, against the same from a small shell (a
// bound for the launch of 100 services). Node's spawn forks the whole process and waits until the
// child has exec'd. Spawns 100 `/bin/sh -c 'exec sleep 5'` (detached, three pipes, like a session)
// after allocating N MiB, and prints the mean time per spawn call and the machine-wide CPU
// (/proc/stat, both cores) the 100 spawns took until every child was `sleep`. Then the same 100
// forked by one /bin/sh (`sh -c '…' &` in a loop): what the processes cost without Node's fork.
// Last, whether this machine starts processes in parallel at all (bench/README.md, sixth pass).
//
//   node bench/spawn-cost.mjs [MiB]
//
// Plain JavaScript without tsx or bench/lib.ts: the process that spawns is Node and the ballast
// alone (under tsx it would start ~30 MiB larger). Hence its own reading of /proc/stat.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

const mib = Number(process.argv[2] ?? 0);
const kept = [];
for (let i = 0; i < mib; i++) kept.push(Buffer.alloc(1 << 20, 1));
const objects = [];
for (let i = 0; i < mib * 2000; i++) objects.push({ i, s: `x${i}` });

/** Busy jiffies of the whole machine (user nice system irq softirq), in ms. */
function busyMs() {
  const f = (readFileSync("/proc/stat", "latin1").split("\n")[0] ?? "").split(/\s+/).slice(1).map(Number);
  return (f[0] + f[1] + f[2] + f[5] + f[6]) * 10;
}
/** Waits until every pid runs `sleep` (has exec'd twice: the shell, then sleep). */
async function allSleeping(pids) {
  const sleeping = (pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "latin1").trim() === "sleep";
    } catch {
      return true; // gone: nothing left to wait for
    }
  };
  while (!pids.every(sleeping)) await new Promise((r) => setTimeout(r, 20));
}

const cpu0 = busyMs();
const t0 = performance.now();
const children = [];
for (let i = 0; i < 100; i++) {
  children.push(
    spawn("/bin/sh", ["-c", "exec sleep 5"], { detached: true, stdio: ["ignore", "pipe", "pipe", "pipe"] }),
  );
}
const perSpawn = (performance.now() - t0) / 100;
await allSleeping(children.map((c) => c.pid));
const nodeCpu = (busyMs() - cpu0) / 100;
const rss = process.memoryUsage().rss / 2 ** 20;
console.log(
  `Node, RSS ${rss.toFixed(0)} MiB: ${perSpawn.toFixed(2)} ms per spawn, ${nodeCpu.toFixed(1)} ms of machine CPU per process (${mib > 0 ? `${mib} MiB of` : "no"} ballast)`,
);
for (const child of children) process.kill(-child.pid, "SIGKILL");

// The shell prints the pids of its 100 children, which are `sleep` once they have exec'd.
const cpu1 = busyMs();
const t1 = performance.now();
const pids = execFileSync("/bin/sh", [
  "-c",
  'i=0; while [ $i -lt 100 ]; do sh -c "exec sleep 5" >/dev/null 2>&1 & echo $!; i=$((i + 1)); done',
])
  .toString()
  .trim()
  .split("\n")
  .map(Number);
const shellLoop = (performance.now() - t1) / 100;
await allSleeping(pids);
const shellCpu = (busyMs() - cpu1) / 100;
console.log(
  `/bin/sh: ${shellLoop.toFixed(2)} ms per fork, ${shellCpu.toFixed(1)} ms of machine CPU per process (including that sh's start)`,
);
for (const pid of pids) process.kill(pid, "SIGKILL");

// Whether the machine creates processes in parallel: 100 `sh -c 'exit 0'` one after the other,
// then two such loops at once (on two cores they would take the same wall time as one).
const loop = 'i=0; while [ $i -lt 100 ]; do sh -c "exit 0"; i=$((i + 1)); done';
for (const [label, script, n] of [
  ["one loop of 100", loop, 100],
  ["two loops of 100 at once", `(${loop}) & (${loop}) & wait`, 200],
]) {
  const cpu = busyMs();
  const t = performance.now();
  execFileSync("/bin/sh", ["-c", script]);
  const wall = performance.now() - t;
  console.log(
    `${label}: ${wall.toFixed(0)} ms, ${((busyMs() - cpu) / n).toFixed(1)} ms of machine CPU per process`,
  );
}
process.exit(0);
