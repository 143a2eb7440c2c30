/**
 * `mirrord-up top` and `mirrord-up kill` as clients: the CLI in-process, over a real socket, to a
 * control server with a scripted run behind it (what they print, what they send), and what the
 * handler refuses. Against a real `up`: test/run-top-kill.test.ts.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ControlClient, locateInstance } from "../src/control/client.js";
import { ensureRuntimeDir } from "../src/control/runtime-dir.js";
import { type ControlSocket, startControlServer } from "../src/control/server.js";
import type { ProcessRow } from "../src/run/control-types.js";
import { runCliCaptured } from "./helpers/cli.js";
import { RunControlStub } from "./helpers/run-control-stub.js";
import { tempDir } from "./helpers/tmp.js";

const sockets: ControlSocket[] = [];
after(async () => {
  await Promise.all(sockets.map((s) => s.close()));
});

/** A project directory and a "running up" for it: the stub behind a real socket. */
async function running() {
  const dir = tempDir();
  writeFileSync(join(dir, "mirrord-up.yaml"), "services: {}\n");
  const env = { MIRRORD_UP_RUNTIME_DIR: join(dir, "run") };
  ensureRuntimeDir(env, dir);
  const control = new RunControlStub(["api", "worker"]);
  const instance = locateInstance(undefined, env, dir);
  sockets.push(await startControlServer(control, instance.socketPath as string));
  const cli = (...args: string[]) => runCliCaptured(args, { cwd: dir, env });
  return { control, cli, client: new ControlClient(instance) };
}

const row = (fields: Partial<ProcessRow>): ProcessRow => ({
  pid: 4242,
  ppid: 1,
  pgid: 4242,
  in_group: true,
  cpu_percent: 1.25,
  cpu_seconds: 75,
  rss_bytes: 48 * 1024 * 1024,
  command: "node server.js --port 8080",
  ...fields,
});

describe("mirrord-up top", () => {
  it("prints a table per service that has processes, like docker compose top", async () => {
    const { control, cli } = await running();
    control.processes.set("api", [
      row({}),
      row({
        pid: 4300,
        ppid: 4242,
        cpu_percent: 0,
        cpu_seconds: 0.2,
        rss_bytes: 900 * 1024,
        command: "sleep 5",
      }),
      row({ pid: 4400, pgid: 4400, in_group: false, rss_bytes: null, command: "daemon" }),
    ]);
    const r = await cli("top");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        "api",
        "PID   PPID  PGID  %CPU  RSS       TIME   COMMAND",
        "4242  1     4242  1.3   48.0 MiB  1m15s  node server.js --port 8080",
        "4300  4242  4242  0.0   900 KiB   200ms  sleep 5",
        "4400  1     4400  1.3   -         1m15s  daemon",
        "",
      ].join("\n"),
    );
    const named = await cli("top", "worker");
    assert.equal(named.stdout, "worker: not running\n");
  });

  it("--format json prints the services' processes as the control API answers them", async () => {
    const { control, cli } = await running();
    control.processes.set("worker", [row({})]);
    const r = await cli("top", "--format", "json", "worker");
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [{ name: "worker", pid: 4242, processes: [row({})] }]);
  });

  it("an unknown service is an error with the closest name", async () => {
    const { cli } = await running();
    const r = await cli("top", "wroker");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown service "wroker"/);
    assert.match(r.stderr, /did you mean "worker"\?/);
  });
});

describe("mirrord-up kill", () => {
  it("sends the signal by its full name, SIGKILL by default, and prints what the run answered", async () => {
    const { control, cli } = await running();
    control.nextResult = { ok: true, messages: ["api: SIGHUP sent to pid 4242"] };
    const r = await cli("kill", "-s", "hup", "api");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "api: SIGHUP sent to pid 4242\n");
    await cli("kill", "--group", "-s", "15", "api", "worker");
    await cli("kill", "worker");
    assert.deepEqual(control.kills, [
      [["api"], "SIGHUP", false],
      [["api", "worker"], "SIGTERM", true],
      [["worker"], "SIGKILL", false],
    ]);
  });

  it("needs a service, and a signal it knows; nothing is sent otherwise", async () => {
    const { control, cli } = await running();
    assert.equal((await cli("kill")).code, 2);
    const wrong = await cli("kill", "-s", "SIGHUPP", "api");
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /did you mean HUP\?/);
    assert.deepEqual(control.kills, []);
  });

  it("the control API refuses a signal it does not know, or a group that is not a boolean", async () => {
    const { control, client } = await running();
    for (const body of [
      { services: ["api"], signal: "SIGFOO" },
      { services: ["api"], signal: "KILL" },
      { services: ["api"], signal: 9 },
      { services: ["api"], group: "yes" },
      { services: [] },
    ]) {
      await assert.rejects(client.post("/v1/kill", body as never), /signal|group|name at least one service/);
    }
    assert.deepEqual(control.kills, []);
  });
});
