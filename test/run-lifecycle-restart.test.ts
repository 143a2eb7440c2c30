/**
 * `restart:` on real processes: how often a service is started again, what the run says while it
 * waits, that a restarted failure does not end the run, and that Ctrl-C cancels a pending restart.
 * (The backoff's timing is a pure function, tested in lifecycle-plan.test.ts; nothing here
 * measures time.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAlive } from "./helpers/processes.js";
import { psRow } from "./helpers/ps.js";
import { nothingLeft, runUp, startUp } from "./helpers/up.js";

describe("restart policies", { timeout: 180_000 }, () => {
  it("on-failure:2 restarts a crashing service twice, then the run stops with its exit code", async () => {
    const { code, stdout, run } = await runUp(`
services:
  crash:
    restart: on-failure:2
    run: {type: local, command: [bash, -c, 'echo "boom $$"; exit 3']}
  idle:
    run: {type: local, command: [sleep, "3600"]}
`);
    assert.equal(code, 3, stdout);
    const pids = [...stdout.matchAll(/crash \| boom (\d+)/g)].map((m) => m[1]);
    assert.equal(pids.length, 3, stdout);
    assert.equal(new Set(pids).size, 3, "each run is a new process");
    assert.match(stdout, /crash ▸ restarting in 1s \(on-failure, attempt 1 of 2\)/);
    assert.match(stdout, /crash ▸ restarting in 2s \(on-failure, attempt 2 of 2\)/);
    assert.equal(stdout.match(/restarting in/g)?.length, 2, "no third restart");
    // The other service ran on through the restarts and was stopped only at the end.
    assert.match(stdout, /idle +stopped \(killed by SIGTERM\)/);
    assert.match(stdout, /crash +exited with code 3 after .*, 2 restarts/);
    await nothingLeft(run.marker);
  });

  it("always restarts a service that exits 0, and the run goes on", async () => {
    const run = startUp(`
services:
  flappy:
    restart: always
    run: {type: local, command: [bash, -c, 'echo "run $$"']}
  idle:
    run: {type: local, command: [bash, -c, 'echo "idle $$"; exec sleep 3600']}
`);
    await run.waitForOutput(/flappy ▸ restarted \(always, attempt 2, pid \d+ → \d+\)/);
    const idlePid = Number(/idle +\| idle (\d+)/.exec(run.stdout().toString())?.[1]);
    assert.ok(isAlive(idlePid), "the other service still runs");
    const row = await psRow(run, "flappy");
    assert.ok(row.restarts >= 2, JSON.stringify(row));
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    assert.equal(code, 0, "restarted ends are not failures");
    assert.doesNotMatch(run.stdout().toString(), /flappy ▸ exited with code 0\nmirrord-up: summary/);
    await nothingLeft(run.marker);
  });

  it("Ctrl-C while a restart waits out its backoff cancels it", async () => {
    const run = startUp(`
services:
  crash:
    restart: always
    run: {type: local, command: [bash, -c, 'echo "crash $$"; exit 1']}
  idle:
    run: {type: local, command: [sleep, "3600"]}
`);
    // The third wait is 4s: long enough for the signal to arrive inside it.
    await run.waitForOutput("crash ▸ restarting in 4s (always, attempt 3)");
    assert.equal((await psRow(run, "crash")).state, "restarting");
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    assert.equal(code, 0);
    const out = run.stdout().toString();
    assert.doesNotMatch(out, /restarted \(always, attempt 3\)/);
    assert.equal(out.match(/crash \| crash \d+/g)?.length, 3, out);
    await nothingLeft(run.marker);
  });

  it("a mirrord session that fails before it is ready is restarted by on-failure too", async () => {
    const { code, stdout, run } = await runUp(`
services:
  api:
    restart: on-failure:1
    target: {path: deployment/api}
    env: {override: {FAKE_MIRRORD_FAIL: "agent did not start"}}
    run: {command: [sleep, "3600"]}
`);
    assert.equal(code, 1);
    assert.equal(
      stdout.match(/api ▸ exited with code 1 before the session was ready: .*agent did not start/g)?.length,
      2,
    );
    assert.match(stdout, /api ▸ restarting in 1s \(on-failure, attempt 1 of 1\)/);
    assert.equal(run.mirrordLog().length, 2, "mirrord was started twice");
    await nothingLeft(run.marker);
  });
});
