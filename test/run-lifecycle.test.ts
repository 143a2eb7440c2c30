/**
 * Stopping, asserted on the operating system's view: after every way a run can end, no process
 * that carries the test's marker is alive, and the private config directory is gone.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { dirname } from "node:path";
import { describe, it } from "node:test";
import { isAlive, processesWithMarker } from "./helpers/processes.js";
import { nothingLeft, runUp, startUp, type UpRun } from "./helpers/up.js";
import { waitUntil } from "./helpers/wait.js";

/** Two mirrord sessions (one with two grandchildren) and a local service. */
const LONG_RUNNING = `
services:
  api:
    target: {path: deployment/api}
    run: {command: [bash, -c, 'echo "api pid $$"; sleep 3600 & sleep 3600 & wait']}
  worker:
    target: none
    run: {type: container, command: [bash, -c, 'echo worker up; exec sleep 3600']}
  web:
    run: {type: local, command: [bash, -c, 'echo web up; exec sleep 3600']}
`;

function configDirs(run: UpRun): string[] {
  return readdirSync(run.dir).filter((n) => n.startsWith("mirrord-up-config-"));
}

async function whenRunning(run: UpRun): Promise<void> {
  await run.waitForOutput("all 3 services ready");
  await run.waitForOutput("api pid");
  await run.waitForOutput("worker up");
  // api's leader, its two sleeps, worker's mirrord + app, web, mirrord-up and the watchdog.
  await waitUntil(() => processesWithMarker(run.marker).length >= 8, 60_000, "every process to start");
  assert.equal(configDirs(run).length, 1, "the private config directory exists while running");
}

async function assertAllGone(run: UpRun): Promise<void> {
  await nothingLeft(run.marker);
  assert.deepEqual(configDirs(run), [], "the private config directory is removed");
}

describe("stopping leaves nothing behind", { timeout: 120_000 }, () => {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    it(`${signal} to mirrord-up stops every session and its children, exit 0`, async () => {
      const run = startUp(LONG_RUNNING);
      await whenRunning(run);
      run.child.kill(signal);
      const { code } = await run.exited;
      assert.equal(code, 0, run.stderr());
      assert.match(run.stdout().toString(), new RegExp(`${signal}, stopping 3 services`));
      assert.match(run.stdout().toString(), /api +stopped \(killed by SIGTERM\)/);
      await assertAllGone(run);
    });
  }

  it("an application that ignores SIGTERM is killed after the timeout", async () => {
    const run = startUp(
      `services:\n  stubborn:\n    target: {path: deployment/s}\n    run: {command: [bash, -c, 'trap "" TERM; echo stubborn up; sleep 3600 & wait']}\n`,
      { args: ["-t", "1"] },
    );
    await run.waitForOutput("stubborn up");
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    assert.equal(code, 0);
    assert.match(run.stdout().toString(), /still running after 1s, sending SIGKILL/);
    assert.match(run.stdout().toString(), /stubborn +stopped \(killed by SIGKILL\)/);
    await assertAllGone(run);
  });

  it("a second Ctrl-C kills at once, without waiting for the timeout", async () => {
    const run = startUp(
      `services:\n  stubborn:\n    run: {type: local, command: [bash, -c, 'trap "" TERM; echo stubborn up; sleep 3600 & wait']}\n`,
      { args: ["-t", "600"] },
    );
    await run.waitForOutput("stubborn up");
    run.child.kill("SIGINT");
    await run.waitForOutput("press Ctrl-C again to force");
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    assert.equal(code, 0);
    assert.match(run.stdout().toString(), /SIGINT again, killing every service now/);
    assert.doesNotMatch(run.stdout().toString(), /still running after/);
    await assertAllGone(run);
  });

  it("SIGKILL of mirrord-up: the watchdog stops every session within the grace period", async () => {
    const run = startUp(LONG_RUNNING, { args: ["-t", "1"] });
    await whenRunning(run);
    const sessionPids = processesWithMarker(run.marker).map((p) => p.pid);
    run.child.kill("SIGKILL");
    await run.exited;
    // Grace (1 s) plus a couple of seconds.
    await nothingLeft(run.marker, 3500);
    for (const pid of sessionPids) assert.equal(isAlive(pid), false, `pid ${pid} survived`);
    await waitUntil(
      () => configDirs(run).length === 0,
      60_000,
      "the watchdog to remove the config directory",
    );
  });

  it("a crashing service: its exit code, the others stopped, nothing left", async () => {
    const config = `${LONG_RUNNING}  crash:\n    target: {path: deployment/c}\n    run: {command: [bash, -c, 'sleep 0.5; echo crashing; exit 3']}\n`;
    const { code, stdout, run } = await runUp(config);
    assert.equal(code, 3);
    assert.match(stdout, /crash +▸ exited with code 3/);
    assert.match(stdout, /crash +\| crashing\n[\s\S]*crash +▸ exited with code 3/);
    assert.match(stdout, /web +stopped \(killed by SIGTERM\)/);
    await assertAllGone(run);
  });

  it("a service killed by a signal gives 128 + the signal number", async () => {
    const { code, stdout, run } = await runUp(
      `services:\n  seg:\n    run: {type: local, command: [bash, -c, 'kill -SEGV $$']}\n  other:\n    run: {type: local, command: [sleep, "3600"]}\n`,
    );
    assert.equal(code, 128 + 11);
    assert.match(stdout, /seg +▸ killed by SIGSEGV/);
    await assertAllGone(run);
  });

  it("a service exiting 0 ends the run with 0 and stops the others", async () => {
    const { code, stdout, run } = await runUp(
      `${LONG_RUNNING}  done:\n    run: {type: local, command: [bash, -c, 'sleep 0.5; echo finished']}\n`,
    );
    assert.equal(code, 0);
    assert.match(stdout, /done +▸ exited with code 0/);
    assert.match(stdout, /api +stopped/);
    await assertAllGone(run);
  });

  it("descendants that left the pipes are stopped when their service ends", async () => {
    const { code, run } = await runUp(
      `services:\n  spawner:\n    run: {type: local, command: [bash, -c, 'sleep 3600 >/dev/null 2>&1 & echo spawned; exit 0']}\n`,
    );
    assert.equal(code, 0);
    await assertAllGone(run);
  });

  it("a descendant holding the pipes does not keep a finished service alive", async () => {
    const { code, stdout, run } = await runUp(
      `services:\n  holder:\n    target: {path: deployment/h}\n    run: {command: [bash, -c, 'sleep 3600 & echo parent leaves; exit 4']}\n`,
    );
    assert.equal(code, 4);
    assert.match(stdout, /holder \| parent leaves\n[\s\S]*holder +▸ exited with code 4/);
    await assertAllGone(run);
  });

  it("--keep-going: others run on; exit with the first failure's code once all have ended", async () => {
    const { code, stdout, run } = await runUp(
      `services:
  migrate:
    run: {type: local, command: [bash, -c, 'echo migrated; exit 0']}
  flaky:
    run: {type: local, command: [bash, -c, 'sleep 0.3; exit 5']}
  later:
    run: {type: local, command: [bash, -c, 'sleep 0.8; exit 6']}
`,
      { args: ["--keep-going"] },
    );
    assert.equal(code, 5);
    assert.match(stdout, /migrate +▸ exited with code 0/);
    assert.match(stdout, /flaky +▸ exited with code 5/);
    assert.match(stdout, /later +▸ exited with code 6/);
    assert.doesNotMatch(stdout, /stopped/);
    await assertAllGone(run);
  });

  it("--keep-going with every service succeeding exits 0", async () => {
    const { code, run } = await runUp(
      `services:\n  a: {run: {type: local, command: ["true"]}}\n  b: {run: {type: local, command: [bash, -c, "sleep 0.2"]}}\n`,
      { args: ["--keep-going"] },
    );
    assert.equal(code, 0);
    await assertAllGone(run);
  });

  it("mirrord exec becomes the application: the session's PID is the app's PID", async () => {
    const run = startUp(LONG_RUNNING);
    await whenRunning(run);
    const record = run.mirrordLog().find((r) => r.command.join(" ").includes("api pid"));
    assert.ok(record);
    const appPid = Number(/api pid (\d+)/.exec(run.stdout().toString())?.[1]);
    assert.equal(record.pid, appPid);
    const api = processesWithMarker(run.marker).find((p) => p.pid === appPid);
    assert.ok(api, "the app runs under the session's PID");
    assert.equal(api.pgid, appPid, "the session leads its own process group");
    run.child.kill("SIGTERM");
    await run.exited;
    assert.equal(existsSync(dirname(record.file)), false);
    await assertAllGone(run);
  });
});
