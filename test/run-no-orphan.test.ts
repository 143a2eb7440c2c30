/**
 * No session outlives mirrord-up at any moment, and mirrord-up never signals a process group
 * that is not one of its sessions. Asserted on the operating system's view (/proc), with real
 * SIGKILLs at random moments of the start: 120 under `npm run test:stress`, 24 in `npm test`,
 * drawn from a printed seed (`SEED=<n>` replays them).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { RECORDS_PER_WRITE } from "../src/run/watchdog-client.js";
import { isAlive, processesWithMarker, watchdogPid } from "./helpers/processes.js";
import { seededRandom, stressCount } from "./helpers/random.js";
import { tempDir } from "./helpers/tmp.js";
import { nothingLeft, startUp, TWO_SLEEPERS } from "./helpers/up.js";
import { waitUntil } from "./helpers/wait.js";

const bystanders: ChildProcess[] = [];
after(() => {
  for (const child of bystanders) child.kill("SIGKILL");
});

/** An unrelated process in a process group of its own (what a reused id would point at). */
function bystander(): ChildProcess {
  const child = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });
  bystanders.push(child);
  return child;
}

const reusedPids: number[] = [];
after(() => {
  for (const pid of reusedPids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

/**
 * Makes the kernel hand out `pid` again (root only: /proc/sys/kernel/ns_last_pid), to an unrelated
 * `sleep` in a session and process group of its own. bash writes the counter and forks right after,
 * in a loop, so other processes forking at the same time (a loaded machine) rarely win the race.
 */
function reusePid(pid: number): boolean {
  const script = `for i in $(seq 2000); do echo ${pid - 1} > /proc/sys/kernel/ns_last_pid || exit 2; setsid sleep 300 </dev/null >/dev/null 2>&1 & if [ "$!" = "${pid}" ]; then exit 0; fi; kill -9 "$!" 2>/dev/null; done; exit 1`;
  const ok = spawnSync("bash", ["-c", script]).status === 0;
  if (ok) reusedPids.push(pid);
  return ok;
}

function canChoosePids(): boolean {
  try {
    writeFileSync("/proc/sys/kernel/ns_last_pid", "300");
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A Node process running `lines` as an ES module (this repository's sources through tsx), its
 * stdout collected: a stand-in owner of a watchdog, killed or left to end by the test.
 */
function startOwner(lines: string[]): { child: ChildProcess; stdout: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", lines.join("\n")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c;
  });
  return { child, stdout: () => out };
}

describe("no orphan at any moment", { timeout: 900_000 }, () => {
  it("SIGKILL of mirrord-up at random moments of its start leaves no process behind", async (t) => {
    // Five in six moments spread over the first 500 ms, the others just after "starting" is
    // printed, where the sessions are being spawned. Run a few at a time: each waits for the watchdog.
    const { next, seed } = seededRandom(t);
    const early = stressCount(100, 20);
    const moments = [
      ...Array.from({ length: early }, () => ({ afterStarting: false, delay: next() * 500 })),
      ...Array.from({ length: early / 5 }, () => ({ afterStarting: true, delay: next() * 30 })),
    ];
    const leaks: string[] = [];
    const batch = 8;
    for (let i = 0; i < moments.length; i += batch) {
      await Promise.all(
        moments.slice(i, i + batch).map(async ({ afterStarting, delay }) => {
          const run = startUp(TWO_SLEEPERS, { args: ["-t", "1"] });
          if (afterStarting) await run.waitForOutput("starting 2 services");
          await sleep(delay);
          run.child.kill("SIGKILL");
          await run.exited;
          await nothingLeft(run.marker, 60_000).catch((error: Error) =>
            leaks.push(`${afterStarting ? "after starting + " : ""}${Math.round(delay)}ms: ${error.message}`),
          );
        }),
      );
    }
    assert.deepEqual(leaks, [], `SEED=${seed}`);
  });

  it("SIGKILL of mirrord-up: the watchdog also stops a descendant that left its group (setsid)", async () => {
    const run = startUp(
      `services:\n  api:\n    run: {type: local, command: [sh, -c, 'setsid sleep 3600 & echo up; sleep 3600']}\n`,
      { args: ["-t", "1"] },
    );
    await run.waitForOutput("api | up");
    // Both sleeps run: one in the session's group, one in a session of its own.
    await waitUntil(
      () => processesWithMarker(run.marker).filter((p) => p.cmdline === "sleep 3600").length === 2,
      60_000,
      "both sleeps",
    );
    run.child.kill("SIGKILL");
    await nothingLeft(run.marker, 60_000);
  });

  it("a program starts without waiting for the watchdog to read its record, and the record is not lost", async () => {
    // The record is in the watchdog's pipe when the program is released: a stopped watchdog does
    // not hold the start, and once it runs again it still stops what was recorded.
    const gate = join(tempDir(), "gate");
    const run = startUp(
      `services:
  first:
    run: {type: local, command: [sh, -c, 'echo first; while [ ! -e "$0" ]; do sleep 0.05; done; echo go; exec sleep 3600', ${JSON.stringify(gate)}]}
    ready_when: {log: "^go$"}
  second:
    run: {type: local, command: [sh, -c, 'echo second; exec sleep 3600']}
    depends_on: {first: {condition: service_ready}}
`,
      { args: ["-t", "1"] },
    );
    await run.waitForOutput(/first +\| first/);
    const watchdog = watchdogPid(run.marker);
    assert.ok(watchdog, "the watchdog runs");
    process.kill(watchdog, "SIGSTOP");
    try {
      writeFileSync(gate, "");
      await run.waitForOutput(/second +\| second/);
      run.child.kill("SIGKILL");
      await run.exited;
    } finally {
      process.kill(watchdog, "SIGCONT");
    }
    await nothingLeft(run.marker, 60_000);
  });

  it("a process that runs unheld (mirrord ui) is recorded at once, not with the pass's batch", async () => {
    // The owner records a running sleep, then never yields to the event loop again (a long
    // synchronous pass); SIGKILLed there, its watchdog must still stop the sleep.
    const script = [
      'import { spawn } from "node:child_process";',
      'import { writeSync } from "node:fs";',
      'import { WatchdogClient } from "./src/run/watchdog-client.ts";',
      'const watchdog = new WatchdogClient(1000, "", "", process.env);',
      'const app = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });',
      "watchdog.registerRunning(app.pid);",
      'writeSync(1, String(app.pid) + "\\n");',
      "for (;;) {}",
    ];
    const { child: owner, stdout } = startOwner(script);
    const pid = await waitUntil(
      () => Number(/^(\d+)\n/.exec(stdout())?.[1]) || undefined,
      30_000,
      "the owner's pid line",
    );
    try {
      owner.kill("SIGKILL");
      await waitUntil(() => !isAlive(pid), 30_000, "the watchdog to stop the unheld process");
    } finally {
      if (isAlive(pid)) process.kill(pid, "SIGKILL");
    }
  });

  it("a pass that registers many groups records them RECORDS_PER_WRITE at a time: the first programs are released within the pass", async () => {
    // An owner registers RECORDS_PER_WRITE + 1 running sleeps in one synchronous pass and prints
    // when each is released and when the pass ends: the first RECORDS_PER_WRITE before the end,
    // the last one after it. Then it releases its watchdog and stops the sleeps itself.
    const script = [
      'import { spawn } from "node:child_process";',
      'import { writeSync } from "node:fs";',
      'import { RECORDS_PER_WRITE, WatchdogClient } from "./src/run/watchdog-client.ts";',
      'const watchdog = new WatchdogClient(1000, "", "", process.env);',
      "const apps = [];",
      "for (let i = 0; i <= RECORDS_PER_WRITE; i++) {",
      '  const app = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });',
      "  apps.push(app);",
      '  watchdog.register(app.pid, (error) => writeSync(1, "released " + i + (error ? " " + error.message : "") + "\\n"));',
      "}",
      'writeSync(1, "pass over\\n");',
      "setTimeout(() => {",
      "  watchdog.release();",
      '  for (const app of apps) app.kill("SIGKILL");',
      "}, 100);",
    ];
    const { child: owner, stdout } = startOwner(script);
    const [code] = (await once(owner, "close")) as [number | null];
    assert.equal(code, 0);
    const lines = stdout().trim().split("\n");
    const expected = [
      ...Array.from({ length: RECORDS_PER_WRITE }, (_, i) => `released ${i}`),
      "pass over",
      `released ${RECORDS_PER_WRITE}`,
    ];
    assert.deepEqual(lines, expected);
  });

  it("the watchdog takes no orders from TMPDIR: a newline in it cannot make it kill a group", async () => {
    const victim = bystander();
    const base = tempDir();
    // Before the fix the path reached the watchdog as a protocol line: this one added a group.
    const tmp = join(base, `x\ngroup ${victim.pid}`);
    mkdirSync(tmp);
    const run = startUp(TWO_SLEEPERS, { args: ["-t", "1"], env: { TMPDIR: tmp } });
    await run.waitForOutput("web ▸ started");
    await run.waitForOutput("api ▸ ready");
    run.child.kill("SIGKILL");
    await nothingLeft(run.marker, 60_000);
    assert.ok(isAlive(victim.pid as number), "the unrelated process group was left alone");
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith("mirrord-up-config-")),
      [],
      "the config directory inside the odd TMPDIR is removed",
    );
  });

  for (const ending of ["Ctrl-C", "SIGKILL"] as const) {
    it(`an ended session's group id is forgotten: after reuse by another process, ${ending} leaves that process alone`, async (t) => {
      if (!canChoosePids()) {
        t.skip("needs root to choose the next pid (/proc/sys/kernel/ns_last_pid)");
        return;
      }
      const run = startUp(
        `services:\n  gone:\n    run: {type: local, command: [bash, -c, 'echo gone; exit 0']}\n  stay:\n    run: {type: local, command: [sleep, "300"]}\n`,
        { args: ["--keep-going", "-t", "1"] },
      );
      await run.waitForOutput(/gone +▸ exited with code 0/);
      const pid = Number(/gone +▸ started \(pid (\d+)\)/.exec(run.stdout().toString())?.[1]);
      assert.ok(pid > 0);
      assert.ok(reusePid(pid), `could not get pid ${pid} reused`);
      if (ending === "Ctrl-C") {
        run.child.kill("SIGINT");
        assert.equal((await run.exited).code, 0);
      } else {
        run.child.kill("SIGKILL");
      }
      await nothingLeft(run.marker, 60_000);
      assert.ok(isAlive(pid), `the process that now has pid ${pid} was not signalled`);
    });
  }
});
