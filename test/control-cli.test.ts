/**
 * The client commands (`ps`, `logs`, `restart`, `stop`, `start`, `reload`, `down`) as a user runs
 * them: the real binary in its own process, talking over the real socket to a control server
 * in this process with a scripted run behind it. Also the CLI habits: options before the
 * subcommand, a mistyped command, the help.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parseLogTime } from "../src/cli/commands/logs.js";
import { locateInstance } from "../src/control/client.js";
import { ensureRuntimeDir } from "../src/control/runtime-dir.js";
import { type ControlSocket, startControlServer } from "../src/control/server.js";
import { runCliCaptured } from "./helpers/cli.js";
import { BIN_ARGS } from "./helpers/paths.js";
import { killMarked, MARKER_VAR, newMarker } from "./helpers/processes.js";
import { RunControlStub, service } from "./helpers/run-control-stub.js";
import { tempDir } from "./helpers/tmp.js";
import { runUp } from "./helpers/up.js";
import { waitUntil } from "./helpers/wait.js";

const marker = newMarker();
after(() => killMarked(marker));
const sockets: ControlSocket[] = [];
after(async () => {
  await Promise.all(sockets.map((s) => s.close()));
});

interface Cli {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** The real binary, asynchronously (the server it talks to runs in this process). */
function cli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  onStdout?: (text: string) => void,
): Promise<Cli> & { child: ChildProcess } {
  const child = spawn(process.execPath, [...BIN_ARGS, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, [MARKER_VAR]: marker, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  let err = "";
  child.stdout.on("data", (c: Buffer) => {
    out.push(c);
    onStdout?.(Buffer.concat(out).toString());
  });
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const done = new Promise<Cli>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err })),
  );
  return Object.assign(done, { child });
}

/** A project directory with a file, and a "running up" for it: the stub behind a real socket. */
async function running(names = ["api", "worker"]) {
  const dir = tempDir();
  writeFileSync(join(dir, "mirrord-up.yaml"), "services: {}\n");
  const env = { MIRRORD_UP_RUNTIME_DIR: join(dir, "run") };
  ensureRuntimeDir(env, dir);
  const control = new RunControlStub(names);
  const socket = await startControlServer(control, locateInstance(undefined, env, dir).socketPath as string);
  sockets.push(socket);
  return { dir, env, control };
}

describe("mirrord-up ps", () => {
  it("prints one row per service: name, type, state, pid, restarts, started, ready after, exit, target", async () => {
    const { dir, env, control } = await running();
    control.services = [
      service("api", { pid: 4711, restarts: 2, ready_after_ms: 2100 }),
      service("worker", {
        type: "local",
        state: "failed",
        pid: null,
        exit_code: 3,
        ready_after_ms: null,
        target: null,
      }),
      service("web", { state: "stopped", pid: null, signal: "SIGTERM", started: null, ready_after_ms: null }),
    ];
    const r = await cli(["ps"], dir, env);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.toString().trimEnd().split("\n");
    assert.match(
      lines[0] ?? "",
      /^NAME\s+TYPE\s+STATE\s+PID\s+RESTARTS\s+STARTED\s+READY AFTER\s+EXIT\s+TARGET$/,
    );
    assert.match(lines[1] ?? "", /^api\s+exec\s+ready\s+4711\s+2\s+0s ago\s+2\.1s\s+-\s+deployment\/api$/);
    assert.match(lines[2] ?? "", /^worker\s+local\s+failed\s+-\s+0\s+0s ago\s+-\s+3\s+-$/);
    assert.match(lines[3] ?? "", /^web\s+exec\s+stopped\s+-\s+0\s+-\s+-\s+SIGTERM\s+deployment\/web$/);
  });

  it("--format json prints the services as one JSON array with the documented fields", async () => {
    const { dir, env, control } = await running();
    const r = await cli(["ps", "--format", "json"], dir, env);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout.toString()) as Record<string, unknown>[];
    assert.deepEqual(rows, control.services);
    for (const field of ["name", "type", "state", "pid", "restarts", "exit_code", "signal", "target"]) {
      assert.ok(field in (rows[0] ?? {}), field);
    }
  });

  it("ps SERVICE... shows those; --services their names, -q the pids of those running (as compose)", async () => {
    const { dir, env, control } = await running(["api", "web", "worker"]);
    control.services = [
      service("api", { pid: 4711 }),
      service("web", { state: "stopped", pid: null }),
      service("worker", { pid: 4712 }),
    ];
    const some = await cli(["ps", "worker", "api", "--format", "json"], dir, env);
    assert.equal(some.code, 0, some.stderr);
    assert.deepEqual(
      (JSON.parse(some.stdout.toString()) as { name: string }[]).map((row) => row.name),
      ["api", "worker"],
    );
    const table = (await cli(["ps", "web"], dir, env)).stdout.toString().trimEnd().split("\n");
    assert.equal(table.length, 2);
    assert.match(table[1] ?? "", /^web\s+exec\s+stopped/);
    assert.equal((await cli(["ps", "--services"], dir, env)).stdout.toString(), "api\nweb\nworker\n");
    assert.equal((await cli(["ps", "-q"], dir, env)).stdout.toString(), "4711\n4712\n");
    assert.equal((await cli(["ps", "--quiet", "web"], dir, env)).stdout.toString(), "");
    const unknown = await cli(["ps", "wrker"], dir, env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /error: unknown service "wrker"\n\s+hint: did you mean "worker"\?/);
    const both = await cli(["ps", "-q", "--services"], dir, env);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /cannot be used with/);
  });

  it("finds the instance by -f, before or after the command, by any name of the file", async () => {
    const { dir, env } = await running(["api"]);
    writeFileSync(join(dir, "other.yaml"), "services: {}\n");
    for (const args of [["ps"], ["-f", "mirrord-up.yaml", "ps"], ["ps", "-f", `${dir}/./mirrord-up.yaml`]]) {
      const r = await cli(args, dir, env);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    }
    const other = await cli(["-f", "other.yaml", "ps"], dir, env);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /no mirrord-up is running for other\.yaml/);
    assert.match(other.stderr, /hint: start one with `mirrord-up -f other\.yaml`/);
    assert.doesNotMatch(other.stderr, /\n\s+at /, "no stack trace");
  });
});

describe("mirrord-up logs", () => {
  it("prints the buffered output as up does: padded prefixes, status lines, bytes unchanged", async () => {
    const { dir, env, control } = await running();
    control.emit("api", "stdout", "listening on :8080\n\xff\xfe raw\n");
    control.emit("worker", "stderr", "warn: slow\n");
    control.emit("api", "status", Buffer.from("ready in 2.1s → go\n").toString("latin1"));
    const r = await cli(["logs"], dir, env);
    assert.equal(r.code, 0, r.stderr);
    const expected = Buffer.concat([
      Buffer.from("api    | listening on :8080\napi    | "),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(" raw\nworker | warn: slow\napi    ▸ ready in 2.1s → go\n"),
    ]);
    assert.deepEqual(r.stdout, expected);
  });

  it("selects services, --tail lines per service, --no-log-prefix, --timestamps with the time read", async () => {
    const { dir, env, control } = await running();
    for (let i = 1; i <= 3; i++) {
      control.emit("api", "stdout", `a${i}\n`, Date.UTC(2026, 0, 2, 3, 4, i));
      control.emit("worker", "stdout", `w${i}\n`);
    }
    const tail = await cli(["logs", "api", "-n", "2"], dir, env);
    // Padded to the run's longest name, as up pads it, whichever services are shown.
    assert.equal(tail.stdout.toString(), "api    | a2\napi    | a3\n");
    const bare = await cli(["logs", "--no-log-prefix", "--tail", "1"], dir, env);
    assert.equal(bare.stdout.toString(), "a3\nw3\n");
    const stamped = await cli(["logs", "api", "--timestamps", "-n", "1"], dir, env);
    assert.equal(stamped.stdout.toString(), "api    | 2026-01-02T03:04:03.000Z a3\n");
  });

  it("--since and --until pick by when a line was read: durations back from now, RFC 3339, Unix seconds", async () => {
    const { dir, env, control } = await running();
    const now = Date.now();
    control.emit("api", "stdout", "two hours ago\n", now - 2 * 3_600_000);
    control.emit("api", "stdout", "an hour ago\n", now - 3_600_000);
    control.emit("worker", "stdout", "just now\n", now);
    const lines = async (...args: string[]) => {
      const r = await cli(["logs", "--no-log-prefix", ...args], dir, env);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.toString();
    };
    assert.equal(await lines("--since", "90m"), "an hour ago\njust now\n");
    assert.equal(await lines("--since", "1h30m", "--until", "30m"), "an hour ago\n");
    assert.equal(await lines("--until", new Date(now - 90 * 60_000).toISOString()), "two hours ago\n");
    assert.equal(await lines("--since", String((now - 90 * 60_000) / 1000)), "an hour ago\njust now\n");
    const bad = await cli(["logs", "--since", "yesterday"], dir, env);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /--since <time>' argument 'yesterday' is invalid: expected a duration back from now/,
    );
  });

  it("reads --since/--until times as docker compose does", () => {
    const now = Date.UTC(2026, 0, 2, 12, 0, 0);
    assert.equal(parseLogTime("1h30s", now), now - 3_630_000);
    assert.equal(parseLogTime("10m", now), now - 600_000);
    assert.equal(parseLogTime("2026-01-02T10:00:00Z", now), Date.UTC(2026, 0, 2, 10));
    assert.equal(parseLogTime("2026-01-02T10:00:00.250+02:00", now), Date.UTC(2026, 0, 2, 8, 0, 0, 250));
    // Without an offset, local time; a date alone, its local midnight.
    assert.equal(parseLogTime("2026-01-02T10:00:00", now), new Date(2026, 0, 2, 10).getTime());
    assert.equal(parseLogTime("2026-01-02", now), new Date(2026, 0, 2).getTime());
    assert.equal(parseLogTime("1767366245", now), 1_767_366_245_000);
    for (const bad of ["2026-02-30", "2026-01-02T25:00:00Z", "yesterday", "-5m", ""]) {
      assert.throws(() => parseLogTime(bad, now), /expected a duration/, bad);
    }
  });

  it("-f --until a time already past prints and ends; one ahead ends the following there", async () => {
    const { dir, env, control } = await running();
    control.emit("api", "stdout", "old\n", Date.now() - 60_000);
    const past = await cli(["logs", "-f", "--until", "10s"], dir, env);
    assert.equal(past.code, 0, past.stderr);
    assert.equal(past.stdout.toString(), "api    | old\n");
    // The run goes on; only --until can end this one.
    const ahead = await cli(["logs", "-f", "--until", new Date(Date.now() + 2000).toISOString()], dir, env);
    assert.equal(ahead.code, 0, ahead.stderr);
    assert.equal(ahead.stdout.toString(), "api    | old\n");
  });

  it("colours each name as up does when asked for colour", async () => {
    const { dir, env, control } = await running();
    control.emit("worker", "stdout", "w\n");
    control.emit("api", "stderr", "a\n");
    const r = await cli(["logs"], dir, { ...env, FORCE_COLOR: "1" });
    // Sorted names get cyan, yellow, ...; the bar of a stderr line is red.
    assert.equal(
      r.stdout.toString(),
      "\x1b[33mworker\x1b[39m \x1b[2m|\x1b[22m w\n\x1b[36mapi   \x1b[39m \x1b[31m|\x1b[39m a\n",
    );
    const plain = await cli(["logs", "--no-color"], dir, { ...env, FORCE_COLOR: "1" });
    assert.equal(plain.stdout.toString(), "worker | w\napi    | a\n");
  });

  it("-f prints new lines as they come and ends when the run ends", async () => {
    const { dir, env, control } = await running();
    control.emit("api", "stdout", "old\n");
    let seen = "";
    const follow = cli(["logs", "-f"], dir, env, (text) => {
      seen = text;
    });
    await waitUntil(() => control.logFollowerCount === 1 && seen.includes("old"));
    control.emit("worker", "stdout", "new\n");
    await waitUntil(() => seen.includes("new"));
    control.end();
    const r = await follow;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), "api    | old\nworker | new\n");
  });

  it("-f before logs names the file; after it, -f is --follow (as in docker compose)", async () => {
    const { dir, env, control } = await running();
    control.emit("api", "stdout", "hello\n");
    const elsewhere = tempDir();
    const file = join(dir, "mirrord-up.yaml");
    assert.equal((await cli(["-f", file, "logs"], elsewhere, env)).stdout.toString(), "api    | hello\n");
    assert.equal(
      (await cli(["logs", "--config-file", file], elsewhere, env)).stdout.toString(),
      "api    | hello\n",
    );
    const follow = cli(["-f", file, "logs", "-f"], elsewhere, env);
    await waitUntil(() => control.logFollowerCount === 1);
    control.end();
    assert.equal((await follow).code, 0);
  });

  it("Ctrl-C ends logs -f with exit 0 and leaves the run alone", async () => {
    const { dir, env, control } = await running();
    control.emit("api", "stdout", "old\n");
    let seen = "";
    const follow = cli(["logs", "-f"], dir, env, (text) => {
      seen = text;
    });
    await waitUntil(() => control.logFollowerCount === 1 && seen.includes("old"));
    follow.child.kill("SIGINT");
    const r = await follow;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    await waitUntil(() => control.logFollowerCount === 0);
    assert.equal(control.shutdownRequested, false);
  });

  it("a reader that goes away (| head) ends logs -f quietly, exit 0", async () => {
    const { dir, env, control } = await running();
    control.emit("api", "stdout", "first\n");
    const follow = cli(["logs", "-f"], dir, env, () => {
      // Like `| head -1`: read one chunk, then close the pipe.
      follow.child.stdout?.destroy();
    });
    await waitUntil(() => control.logFollowerCount === 1 && follow.child.stdout?.destroyed === true);
    for (let i = 0; i < 100 && follow.child.exitCode === null; i++) {
      control.emit("api", "stdout", `more ${i}\n`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await follow;
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at /);
  });

  it("an unknown service is an error with the closest name", async () => {
    const { dir, env } = await running();
    const r = await cli(["logs", "wroker"], dir, env);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /error: unknown service "wroker"\n\s+hint: did you mean "worker"\? services of this run: api, worker/,
    );
  });
});

describe("mirrord-up restart, stop, start, reload, down", () => {
  it("restart, stop and start send the services and print what the run answered", async () => {
    const { dir, env, control } = await running();
    control.nextResult = { ok: true, messages: ["api: restarted (pid 1 → 2)"] };
    const r = await cli(["restart", "api"], dir, env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), "api: restarted (pid 1 → 2)\n");
    assert.equal((await cli(["stop", "worker", "api"], dir, env)).code, 0);
    assert.equal((await cli(["start", "--config-file", "mirrord-up.yaml", "worker"], dir, env)).code, 0);
    assert.deepEqual(control.calls, [
      ["restart", ["api"]],
      ["stop", ["worker", "api"]],
      ["start", ["worker"]],
    ]);
  });

  it("restart of an unknown service does nothing and suggests the closest", async () => {
    const { dir, env, control } = await running();
    const r = await cli(["restart", "apii"], dir, env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown service "apii"/);
    assert.match(r.stderr, /did you mean "api"\?/);
    assert.deepEqual(control.calls, []);
  });

  it("restart without names restarts every service; start without names each stopped, exited or failed one", async () => {
    const { dir, env, control } = await running(["api", "db", "job", "web", "worker"]);
    control.services = [
      service("api"),
      service("db", { state: "waiting", pid: null }),
      service("job", { state: "exited", pid: null, exit_code: 0 }),
      service("web", { state: "stopped", pid: null }),
      service("worker", { state: "failed", pid: null, exit_code: 3 }),
    ];
    assert.equal((await cli(["restart"], dir, env)).code, 0);
    assert.equal((await cli(["start"], dir, env)).code, 0);
    assert.deepEqual(control.calls, [
      ["restart", ["api", "db", "job", "web", "worker"]],
      ["start", ["job", "web", "worker"]],
    ]);
    control.services = [service("api"), service("db", { state: "restarting", pid: null })];
    const none = await cli(["start"], dir, env);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout.toString(), "nothing to start: every service runs or is waiting to start\n");
    assert.equal(control.calls.length, 2);
  });

  it("down (or stop) with nothing running says so in one line, exit 0; a file that does not exist stays an error", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "mirrord-up.yaml"), "services: {}\n");
    const env = { MIRRORD_UP_RUNTIME_DIR: join(dir, "run") };
    for (const args of [["down"], ["stop"], ["-k", "me", "down"]]) {
      const r = await cli(args, dir, env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "");
      assert.equal(
        r.stdout.toString(),
        "mirrord-up: nothing to stop: no mirrord-up is running for mirrord-up.yaml\n",
      );
    }
    const missing = await cli(["-f", "nope.yaml", "down"], dir, env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no mirrord-up is running for nope\.yaml \(the file does not exist\)/);
  });

  it("reload of an invalid file prints the located errors to stderr, exit 2", async () => {
    const { dir, env, control } = await running();
    control.nextResult = {
      ok: false,
      errors: ['mirrord-up.yaml:3:5: error: unknown key "comand"\n  hint: did you mean "command"?'],
    };
    const r = await cli(["reload"], dir, env);
    assert.equal(r.code, 2);
    assert.equal(r.stdout.toString(), "");
    assert.equal(
      r.stderr,
      'mirrord-up.yaml:3:5: error: unknown key "comand"\n  hint: did you mean "command"?\n',
    );
  });

  for (const args of [["down"], ["stop"]]) {
    it(`\`${args.join(" ")}\` ends the whole run and returns once every service has stopped`, async () => {
      const { dir, env, control } = await running();
      let exited = false;
      const down = cli(args, dir, env).then((r) => {
        exited = true;
        return r;
      });
      await waitUntil(() => control.shutdownRequested);
      assert.equal(exited, false, "still waiting for the run to end");
      control.end();
      const r = await down;
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout.toString(),
        /stopping every service of mirrord-up\.yaml \(pid \d+\)\nevery service has stopped\n/,
      );
    });
  }
});

describe("CLI habits", () => {
  const CONFIG = "services:\n  api:\n    run: {type: local, command: [x, '{{ key }}']}\n";

  it("options before the subcommand work as after it; the one after wins", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "x.yaml"), CONFIG);
    const before = await cli(["-f", "x.yaml", "-k", "me", "config", "--format", "json"], dir);
    assert.equal(before.code, 0, before.stderr);
    assert.equal((JSON.parse(before.stdout.toString()) as { key: string }).key, "me");
    const both = await cli(["-k", "a", "config", "-f", "x.yaml", "-k", "b", "--format", "json"], dir);
    assert.equal((JSON.parse(both.stdout.toString()) as { key: string }).key, "b");
  });

  it("an option the subcommand does not take is a usage error, not ignored", async () => {
    const r = await cli(["--keep-going", "validate"], tempDir());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /option '--keep-going' does not apply to `mirrord-up validate`/);
    const after = await cli(["ps", "--keep-going"], tempDir());
    assert.equal(after.code, 2);
    assert.match(after.stderr, /unknown option '--keep-going'/);
    const none = await cli(["--bogus", "ps"], tempDir());
    assert.equal(none.code, 2);
    assert.match(none.stderr, /unknown option '--bogus'/);
  });

  it("the global options work before any command, and after it where the command does not use the letter", async () => {
    const { dir, env, control } = await running();
    control.context = "staging";
    control.emit("api", "stdout", "hello\n");
    const global = ["-f", "mirrord-up.yaml", "-k", "tester", "--context", "staging", "--no-color"];
    const after = ["--config-file", "mirrord-up.yaml", "-k", "tester", "--context", "staging", "--no-color"];
    for (const args of [
      [...global, "ps"],
      ["ps", ...global],
      [...global, "logs"],
      ["logs", ...after],
      [...global, "restart", "api"],
      ["start", "api", ...global],
      [...global, "stop", "api"],
      [...global, "reload"],
      [...global, "schema"],
      ["schema", ...global],
    ]) {
      const r = await cli(args, dir, { ...env, FORCE_COLOR: "1" });
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.ok(!r.stdout.toString().includes("\x1b["), `${args.join(" ")}: no colour`);
    }
    const down = cli([...global, "down"], dir, env);
    await waitUntil(() => control.shutdownRequested);
    control.end();
    assert.equal((await down).code, 0);
  });

  it("-k and --context are checked against the running up: another key or context is named, nothing is done", async () => {
    const { dir, env, control } = await running();
    const key = await cli(["-k", "bob", "restart", "api"], dir, env);
    assert.equal(key.code, 2);
    assert.match(
      key.stderr,
      /^error: the running up for mirrord-up\.yaml uses key "tester", not "bob"\n\s+hint: leave out -k to steer it, or end it \(`mirrord-up down`\) and start it with -k bob\n$/,
    );
    const context = await cli(["stop", "api", "--context", "prod"], dir, env);
    assert.equal(context.code, 2);
    assert.match(
      context.stderr,
      /error: the running up for mirrord-up\.yaml was started without --context, not --context "prod"/,
    );
    control.context = "staging";
    const other = await cli(["--context", "prod", "logs"], dir, env);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /uses --context "staging", not --context "prod"/);
    const down = await cli(["-k", "bob", "down"], dir, env);
    assert.equal(down.code, 2);
    assert.deepEqual(control.calls, []);
    assert.equal(control.shutdownRequested, false);
  });

  it("a docker compose command or option mirrord-up does not have gets what to use instead, never another command", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "mirrord-up.yaml"), CONFIG);
    const build = await cli(["build"], dir);
    assert.equal(build.code, 2);
    assert.match(
      build.stderr,
      /^error: mirrord-up has no `build` command \(docker compose has\)\n\s+hint: mirrord-up has no images/,
    );
    const detach = await cli(["up", "--detach"], dir);
    assert.equal(detach.code, 2);
    assert.match(
      detach.stderr,
      /^error: mirrord-up has no -d\/--detach option \(docker compose has\)\n\s+hint: mirrord-up runs in the foreground/,
    );
    assert.doesNotMatch(detach.stderr, /--watch/);
    for (const word of [
      "exec",
      "pull",
      "push",
      "images",
      "port",
      "cp",
      "create",
      "pause",
      "unpause",
      "events",
      "rm",
    ]) {
      const r = await runCliCaptured([word], { cwd: dir });
      assert.equal(r.code, 2, word);
      assert.match(r.stderr, new RegExp(`^error: mirrord-up has no \`${word}\` command`), word);
      assert.doesNotMatch(r.stderr, /did you mean/i, word);
    }
    for (const args of [
      ["-d"],
      ["-d", "api"],
      ["-f", "mirrord-up.yaml", "up", "-d"],
      ["-d", "ps"],
      ["logs", "--detach"],
    ]) {
      const r = await runCliCaptured(args, { cwd: dir });
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr, /^error: mirrord-up has no -d\/--detach option/, args.join(" "));
    }
    for (const option of [
      "--build",
      "--pull",
      "--force-recreate",
      "--remove-orphans",
      "-p",
      "--profile",
      "--wait",
    ]) {
      const args = ["up", option, ...(["-p", "--profile"].includes(option) ? ["x"] : [])];
      const r = await runCliCaptured(args, { cwd: dir });
      assert.equal(r.code, 2, option);
      assert.match(r.stderr, /has no .* option \(docker compose has\)\n\s+hint: /, option);
    }
  });

  it("a service named like a docker compose command still starts", async () => {
    const result = await runUp("services:\n  build:\n    run: {type: local, command: [echo, built]}\n", {
      args: ["build"],
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /build \| built/);
  });

  it("a mistyped command is reported as one, with the command it resembles", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "mirrord-up.yaml"), CONFIG);
    const r = await cli(["valdate"], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /error: unknown command "valdate"\n\s+hint: did you mean `mirrord-up validate`\?/);
    const noFile = await cli(["-f", "missing.yaml", "cnofig"], dir);
    assert.match(noFile.stderr, /did you mean `mirrord-up config`\?/);
  });

  it("a service named like a mistyped command still starts", async () => {
    const result = await runUp("services:\n  confg:\n    run: {type: local, command: [echo, hello]}\n", {
      args: ["confg"],
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /confg \| hello/);
  });

  it("up's flags work before its services", async () => {
    const result = await runUp(
      "services:\n  a:\n    run: {type: local, command: [echo, one]}\n  b:\n    run: {type: local, command: [echo, two]}\n",
      { args: ["--keep-going", "--no-log-prefix", "a", "b"] },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^one$/m);
    assert.match(result.stdout, /^two$/m);
  });

  it("--help shows up's options, the steering commands and examples", async () => {
    const r = await cli(["--help"], tempDir());
    assert.equal(r.code, 0);
    const help = r.stdout.toString();
    for (const word of ["ps", "logs", "restart", "stop", "start", "reload", "down"]) {
      assert.match(help, new RegExp(`^  ${word} `, "m"), word);
    }
    for (const flag of ["--keep-going", "--timeout", "--mirrord-bin", "--config-file"])
      assert.match(help, new RegExp(flag));
    assert.match(help, /Examples:/);
  });
});
