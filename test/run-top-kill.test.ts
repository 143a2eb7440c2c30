/**
 * `mirrord-up top` and `mirrord-up kill` against a real `up` running the stand-in mirrord: what
 * `top` lists is checked against /proc, and which process a signal reached is told by the
 * processes themselves (each traps the signals and says which it got).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ServiceProcesses, ServiceStatus } from "../src/run/control-types.js";
import { runCliCaptured } from "./helpers/cli.js";
import { isAlive, processesWithMarker } from "./helpers/processes.js";
import { nothingLeft, startUp, type UpRun } from "./helpers/up.js";
import { waitUntil } from "./helpers/wait.js";

/** A client command of the run, in-process. */
function steer(run: UpRun, args: string[]) {
  return runCliCaptured(args, { cwd: run.dir, env: { TMPDIR: run.dir } });
}

/** Both services started, api's program and its child are up, api is ready. */
async function started(run: UpRun): Promise<void> {
  await run.waitForOutput("main up");
  await run.waitForOutput("child up");
  await waitUntil(async () => (await ps(run, "api")).state === "ready");
}

async function ps(run: UpRun, name: string): Promise<ServiceStatus> {
  const r = await steer(run, ["ps", "--format", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const row = (JSON.parse(r.stdout) as ServiceStatus[]).find((s) => s.name === name);
  assert.ok(row);
  return row;
}

/**
 * The main program says which signals it got; so does its child, in the same process group; a
 * third process left the group (setsid). The main program is what mirrord runs: `exec` replaces
 * the stand-in with it, `container` runs it as the stand-in's child.
 */
const FILES = {
  "main.sh": `trap 'echo "main got USR1"' USR1
trap 'echo "main got USR2"' USR2
sh child.sh &
setsid sleep 3601 &
echo "main up"
sleep 3600 &
while :; do wait $!; done
`,
  "child.sh": `trap 'echo "child got USR1"' USR1
trap 'echo "child got USR2"' USR2
echo "child up"
sleep 3602 &
while :; do wait $!; done
`,
};

const config = (type: "exec" | "container", restart?: string) => `
services:
  api:
    target: {path: deployment/api}${restart ? `\n    restart: ${restart}` : ""}
    run: {type: ${type}, command: [sh, main.sh]}
  web:
    run: {type: local, command: [sleep, "3603"]}
`;

describe("top", { timeout: 120_000 }, () => {
  it("lists each service's group and the processes that left it, as /proc has them", async () => {
    const run = startUp(config("exec"), { files: FILES });
    try {
      await started(run);
      const api = await ps(run, "api");
      // Every process of the run is there once the one that left the group has started.
      await waitUntil(() => processesWithMarker(run.marker).some((p) => p.cmdline === "sleep 3601"));
      const r = await steer(run, ["top", "--format", "json"]);
      assert.equal(r.code, 0, r.stderr);
      const services = JSON.parse(r.stdout) as ServiceProcesses[];
      assert.deepEqual(
        services.map((s) => s.name),
        ["api", "web"],
      );
      const listed = services.find((s) => s.name === "api") as ServiceProcesses;
      assert.equal(listed.pid, api.pid);
      const byCommand = (command: string) => {
        const row = listed.processes.find((p) => p.command === command);
        assert.ok(row, `${command} in ${JSON.stringify(listed.processes, null, 1)}`);
        return row;
      };
      const main = byCommand("sh main.sh");
      assert.equal(main.pid, api.pid);
      assert.equal(main.pgid, api.pid);
      assert.equal(main.in_group, true);
      assert.equal(byCommand("sh child.sh").in_group, true);
      assert.equal(byCommand("sleep 3600").ppid, api.pid);
      const stray = byCommand("sleep 3601");
      assert.equal(stray.in_group, false);
      assert.notEqual(stray.pgid, api.pid);
      for (const p of listed.processes) {
        assert.ok(p.rss_bytes !== null && p.rss_bytes > 0, `${p.command} has resident memory`);
        assert.ok(p.cpu_percent >= 0 && p.cpu_seconds >= 0);
      }
      // Exactly the processes /proc shows for this service: its marker, minus the run's own.
      const expected = processesWithMarker(run.marker)
        .filter((p) => p.pgid === api.pid || p.cmdline === "sleep 3601")
        .map((p) => p.pid)
        .sort();
      assert.deepEqual(listed.processes.map((p) => p.pid).sort(), expected);

      const table = await steer(run, ["top", "web"]);
      assert.equal(table.code, 0, table.stderr);
      const lines = table.stdout.trimEnd().split("\n");
      assert.equal(lines[0], "web");
      assert.match(lines[1] ?? "", /^PID +PPID +PGID +%CPU +RSS +TIME +COMMAND$/);
      assert.match(lines[2] ?? "", /^\d+ +\d+ +\d+ +\d+\.\d +[\d.]+ (KiB|MiB) +\S+ +sleep 3603$/);

      const unknown = await steer(run, ["top", "apii"]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /unknown service "apii"/);
      assert.match(unknown.stderr, /did you mean "api"\?/);
    } finally {
      run.child.kill("SIGTERM");
      await run.exited;
    }
    await nothingLeft(run.marker);
  });
});

describe("kill", { timeout: 120_000 }, () => {
  it("reaches the program mirrord runs, and with --group its whole process group", async () => {
    const run = startUp(config("exec"), { files: FILES });
    try {
      await started(run);
      const pid = (await ps(run, "api")).pid;
      const one = await steer(run, ["kill", "-s", "usr1", "api"]);
      assert.equal(one.code, 0, one.stderr);
      assert.equal(one.stdout, `api: SIGUSR1 sent to pid ${pid}\n`);
      await run.waitForOutput("main got USR1");
      const all = await steer(run, ["kill", "--signal", "SIGUSR2", "--group", "api"]);
      assert.equal(all.stdout, `api: SIGUSR2 sent to process group ${pid}\n`);
      await run.waitForOutput("main got USR2");
      await run.waitForOutput("child got USR2");
      // USR1, sent first, would have been handled first had it reached the child.
      assert.doesNotMatch(run.stdout().toString(), /child got USR1/);
      assert.equal((await ps(run, "api")).state, "ready");
    } finally {
      run.child.kill("SIGTERM");
      await run.exited;
    }
    await nothingLeft(run.marker);
  });

  it("of a `mirrord container` session reaches the runtime mirrord runs, not mirrord", async () => {
    const run = startUp(config("container"), { files: FILES });
    try {
      await started(run);
      const mirrordPid = (await ps(run, "api")).pid as number;
      const r = await steer(run, ["kill", "-s", "10", "api"]);
      assert.equal(r.code, 0, r.stderr);
      // The stand-in (bash) would die of SIGUSR1; the program traps it.
      await run.waitForOutput("main got USR1");
      assert.doesNotMatch(r.stdout, new RegExp(`pid ${mirrordPid}\\b`));
      assert.ok(isAlive(mirrordPid));
      assert.equal((await ps(run, "api")).state, "ready");
    } finally {
      run.child.kill("SIGTERM");
      await run.exited;
    }
    await nothingLeft(run.marker);
  });

  it("is no stop on purpose: the restart policy starts the service again", async () => {
    const run = startUp(config("exec", "on-failure"), { files: FILES });
    try {
      await started(run);
      const before = (await ps(run, "api")).pid as number;
      const r = await steer(run, ["kill", "api"]);
      assert.equal(r.stdout, `api: SIGKILL sent to pid ${before}\n`);
      await run.waitForOutput("killed by SIGKILL");
      await run.waitForOutput(/restarted \(on-failure, attempt 1, pid \d+ → \d+\)/);
      const after = await waitUntil(async () => {
        const row = await ps(run, "api");
        return row.state === "ready" && row.pid !== before ? row : undefined;
      });
      assert.equal(after.restarts, 1);
      assert.ok(!isAlive(before));
    } finally {
      run.child.kill("SIGTERM");
      await run.exited;
    }
    await nothingLeft(run.marker);
  });

  it("refuses a signal it does not know, with a usage error, and sends nothing", async () => {
    const run = startUp(config("exec"), { files: FILES });
    try {
      await started(run);
      for (const signal of ["SIGFOO", "TEMR", "0", "99"]) {
        const r = await steer(run, ["kill", "-s", signal, "api"]);
        assert.equal(r.code, 2, `${signal}: ${r.stderr}`);
        assert.match(r.stderr, /--signal/);
      }
      const close = await steer(run, ["kill", "-s", "TEMR", "api"]);
      assert.match(close.stderr, /did you mean TERM\?/);
      assert.equal((await ps(run, "api")).state, "ready");
    } finally {
      run.child.kill("SIGTERM");
      await run.exited;
    }
    await nothingLeft(run.marker);
  });
});
