/**
 * Steering a real `up` from other processes: `ps`, `logs`, `restart`, `stop`, `start`, `down`
 * against mirrord-up running the stand-in mirrord, asserted on what the commands print and on
 * the operating system's view (/proc), never on mirrord-up's bookkeeping. Also what `up` refuses:
 * a second `up` for the same file, an untrusted runtime directory; and what it repairs: a socket
 * left behind by an `up` that was killed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { ServiceStatus } from "../src/run/control-types.js";
import { BIN_ARGS } from "./helpers/paths.js";
import { isAlive, MARKER_VAR } from "./helpers/processes.js";
import { tempDir } from "./helpers/tmp.js";
import { FAKE_MIRRORD, nothingLeft, socketsOf, startUp, type UpRun } from "./helpers/up.js";
import { waitUntil } from "./helpers/wait.js";

/** A mirrord session that ticks, and a local service. */
const CONFIG = `
services:
  api:
    target: {path: deployment/api}
    run: {command: [bash, -c, 'echo "api up $$"; while sleep 0.2; do echo "api tick"; done']}
  web:
    run: {type: local, command: [bash, -c, 'echo "web up $$"; exec sleep 3600']}
`;

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A client command in its own process, in the run's directory and environment. */
function client(
  run: UpRun,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; onStdout?: (text: string) => void; cwd?: string } = {},
): Promise<Cli> & { pid: number } {
  const child = spawn(process.execPath, [...BIN_ARGS, ...args], {
    cwd: options.cwd ?? run.dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: run.dir,
      [MARKER_VAR]: run.marker,
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
    options.onStdout?.(out);
  });
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const done = new Promise<Cli>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout: out, stderr: err })),
  );
  return Object.assign(done, { pid: child.pid ?? 0 });
}

async function ps(run: UpRun): Promise<ServiceStatus[]> {
  const r = await client(run, ["ps", "--format", "json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ServiceStatus[];
}

function byName(rows: ServiceStatus[], name: string): ServiceStatus {
  const row = rows.find((r) => r.name === name);
  assert.ok(row, `${name} in ps`);
  return row;
}

async function whenReady(run: UpRun): Promise<void> {
  await run.waitForOutput("all 2 services ready");
  await run.waitForOutput("web up");
  await run.waitForOutput("api tick");
}

async function stopAndCheck(run: UpRun): Promise<void> {
  const down = await client(run, ["down"]);
  assert.equal(down.code, 0, down.stderr);
  const { code } = await run.exited;
  assert.equal(code, 0, run.stderr());
  await nothingLeft(run.marker);
}

describe("steering a running up", { timeout: 180_000 }, () => {
  it("ps shows every service with the pid the system sees", async () => {
    const run = startUp(CONFIG);
    await whenReady(run);
    const rows = await ps(run);
    assert.deepEqual(
      rows.map((r) => [r.name, r.type, r.state, r.target]),
      [
        ["api", "exec", "ready", "deployment/api"],
        ["web", "local", "running", null],
      ],
    );
    // The stand-in execs the application, so the session's pid is the one the app printed.
    const apiPid = Number(/api up (\d+)/.exec(run.stdout().toString())?.[1]);
    const webPid = Number(/web up (\d+)/.exec(run.stdout().toString())?.[1]);
    assert.equal(byName(rows, "api").pid, apiPid);
    assert.equal(byName(rows, "web").pid, webPid);
    const table = await client(run, ["ps"]);
    assert.match(
      table.stdout,
      /^api\s+exec\s+ready\s+\d+\s+0\s+\d+s ago\s+[\d.]+m?s\s+-\s+deployment\/api$/m,
    );
    await stopAndCheck(run);
  });

  it("logs prints the services' lines exactly as up printed them", async () => {
    const run = startUp(CONFIG);
    await whenReady(run);
    const logs = await client(run, ["logs"]);
    assert.equal(logs.code, 0, logs.stderr);
    await stopAndCheck(run);
    // Every line logs printed is a line up printed, in the same order.
    const upLines = run
      .stdout()
      .toString()
      .split("\n")
      .filter((l) => /^(api|web) [|▸] /.test(l));
    const logLines = logs.stdout.trimEnd().split("\n");
    assert.ok(logLines.length >= 5, logs.stdout);
    assert.deepEqual(logLines, upLines.slice(0, logLines.length));
    assert.ok(
      logLines.some((l) => l.startsWith("api ▸ ready in")),
      "status lines too",
    );
  });

  it("logs -f follows new lines, two clients at once, and ends with the run", async () => {
    const run = startUp(CONFIG);
    await whenReady(run);
    let seenA = "";
    let seenB = "";
    const a = client(run, ["logs", "-f", "api"], { onStdout: (t) => (seenA = t) });
    const b = client(run, ["logs", "--follow", "--tail", "1"], { onStdout: (t) => (seenB = t) });
    const ticks = (t: string) => t.split("\n").filter((l) => l === "api | api tick").length;
    const before = ticks(run.stdout().toString());
    await waitUntil(() => ticks(seenA) > before + 3 && ticks(seenB) >= 3, 60_000, "new ticks in both");
    assert.doesNotMatch(seenA, /^web/m, "only api");
    await stopAndCheck(run);
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    assert.ok(ra.stdout.endsWith("\n"), "every line whole");
  });

  it("restart replaces a session: new pid, the old one gone, the run goes on", async () => {
    const run = startUp(CONFIG);
    await whenReady(run);
    const oldPid = byName(await ps(run), "api").pid as number;
    const r = await client(run, ["restart", "api"]);
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(r.stdout, "");
    await waitUntil(() => !isAlive(oldPid), 30_000, "the old session to be gone");
    const row = await waitUntil(
      async () => {
        const api = byName(await ps(run), "api");
        return api.state === "ready" && api.pid !== oldPid && api;
      },
      60_000,
      "a new api session, ready",
    );
    assert.equal(row.state, "ready");
    assert.equal(row.restarts, 1);
    assert.ok(row.pid && isAlive(row.pid), "the new session runs");
    assert.equal(run.child.exitCode, null, "up is still running");
    await stopAndCheck(run);
  });

  it("stop ends one service and the others run on; start brings it back", async () => {
    const run = startUp(CONFIG);
    await whenReady(run);
    const webPid = byName(await ps(run), "web").pid as number;
    const stop = await client(run, ["stop", "web"]);
    assert.equal(stop.code, 0, stop.stderr);
    await waitUntil(() => !isAlive(webPid), 30_000, "web to be gone");
    const stopped = byName(await ps(run), "web");
    assert.equal(stopped.state, "stopped");
    assert.equal(stopped.pid, null);
    assert.equal(byName(await ps(run), "api").state, "ready");
    assert.equal(run.child.exitCode, null, "up is still running");

    const start = await client(run, ["start", "web"]);
    assert.equal(start.code, 0, start.stderr);
    const row = await waitUntil(
      async () => {
        const web = byName(await ps(run), "web");
        return web.state === "running" && web;
      },
      60_000,
      "web running again",
    );
    assert.equal(row.state, "running");
    assert.ok(row.pid && row.pid !== webPid && isAlive(row.pid));
    // Its output comes after its start line(s) in the same stream: by then each is written.
    await run.waitForOutput(`web | web up ${row.pid}`);
    const startLines = run
      .stdout()
      .toString()
      .split("\n")
      .filter((line) => /^web +▸ (re)?started/.test(line));
    assert.deepEqual(startLines, [
      `web ▸ started (pid ${webPid})`,
      `web ▸ started by request (pid ${row.pid})`,
    ]);
    await stopAndCheck(run);
  });

  it("restart and start without names: every service, then each stopped one, never one the run did not select", async () => {
    const extra =
      "  extra:\n    skip: true\n    run: {type: local, command: [bash, -c, 'echo \"extra up\"; exec sleep 3600']}\n";
    const run = startUp(CONFIG + extra, { args: ["--context", "dev"] });
    await whenReady(run);
    const before = await ps(run);
    const restart = await client(run, ["restart"]);
    assert.equal(restart.code, 0, restart.stderr);
    assert.match(restart.stdout, /^api: restarted/m);
    assert.match(restart.stdout, /^web: restarted/m);
    for (const row of before)
      await waitUntil(() => !isAlive(row.pid as number), 30_000, `old ${row.name} gone`);
    const stop = await client(run, ["stop", "web"]);
    assert.equal(stop.code, 0, stop.stderr);
    const start = await client(run, ["start"]);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /^web: started/m);
    assert.doesNotMatch(start.stdout, /api|extra/);
    const rows = await waitUntil(
      async () => {
        const now = await ps(run);
        return now.every((r) => r.state === "ready" || r.state === "running") && now;
      },
      60_000,
      "both running again",
    );
    assert.deepEqual(
      rows.map((r) => r.name),
      ["api", "web"],
    );
    assert.doesNotMatch(run.stdout().toString(), /extra up/);
    // -k and --context name the run: this one is key "tester" (startUp's), --context dev.
    const key = await client(run, ["-k", "other", "ps"]);
    assert.equal(key.code, 2);
    assert.match(key.stderr, /the running up for mirrord-up\.yaml uses key "tester", not "other"/);
    const context = await client(run, ["ps", "--context", "prod"]);
    assert.equal(context.code, 2);
    assert.match(context.stderr, /uses --context "dev", not --context "prod"/);
    const same = await client(run, ["-k", "tester", "--context", "dev", "ps"]);
    assert.equal(same.code, 0, same.stderr);
    await stopAndCheck(run);
  });

  it("reload of a file that no longer validates: located errors on stderr, exit 2, the run goes on", async () => {
    const run = startUp(CONFIG);
    await whenReady(run);
    const pids = (await ps(run)).map((r) => r.pid);
    writeFileSync(
      join(run.dir, "mirrord-up.yaml"),
      CONFIG.replace("run: {type: local, command:", "run: {type: local, comand:"),
    );
    const r = await client(run, ["reload"]);
    await assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /mirrord-up\.yaml:\d+:\d+: error: .*comand/);
    assert.match(r.stderr, /did you mean "command"\?/);
    assert.deepEqual(
      (await ps(run)).map((row) => row.pid),
      pids,
      "nothing was restarted",
    );
    assert.equal(run.child.exitCode, null, "up is still running");
    await stopAndCheck(run);
  });

  it("down ends the run like Ctrl-C: up exits 0, nothing is left, the socket is removed", async () => {
    const run = startUp(CONFIG);
    await whenReady(run);
    assert.equal(socketsOf(run).length, 1);
    const down = await client(run, ["down"]);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /every service has stopped/);
    assert.equal((await run.exited).code, 0);
    await nothingLeft(run.marker);
    assert.deepEqual(socketsOf(run), []);
    const after = await client(run, ["ps"]);
    assert.equal(after.code, 2);
    assert.match(after.stderr, /no mirrord-up is running for mirrord-up\.yaml/);
  });

  it("a client during shutdown: follow streams end, new actions are refused, not hung", async () => {
    // web ignores SIGTERM, so stopping takes the whole grace period.
    const run = startUp(
      `${CONFIG}  slow:\n    run: {type: local, command: [bash, -c, 'trap "" TERM; echo slow up; while sleep 0.1; do :; done']}\n`,
      { args: ["-t", "3"] },
    );
    await run.waitForOutput("all 3 services ready");
    await run.waitForOutput("slow up");
    const follow = client(run, ["logs", "-f", "api"]);
    const down = client(run, ["down"]);
    await run.waitForOutput(/stopping 3 services|stopping every/);
    const restart = await client(run, ["restart", "api"]);
    assert.notEqual(restart.code, 0);
    assert.match(restart.stderr, /stopping|no mirrord-up is running|went away/);
    assert.doesNotMatch(restart.stderr, /\n\s+at /, "no stack trace");
    const [f, d] = await Promise.all([follow, down]);
    assert.equal(f.code, 0, f.stderr);
    assert.equal(d.code, 0, d.stderr);
    assert.equal((await run.exited).code, 0);
    await nothingLeft(run.marker);
  });

  it("a second up for the same file is refused and the first is untouched", async () => {
    const run = startUp(CONFIG);
    await whenReady(run);
    const sessionsBefore = run.mirrordLog().length;
    const second = await client(run, ["-k", "tester"], {
      env: { MIRRORD_BIN: FAKE_MIRRORD, FAKE_MIRRORD_LOG: join(run.dir, "mirrord.log") },
    });
    assert.equal(second.code, 2);
    assert.match(
      second.stderr,
      new RegExp(`mirrord-up is already running for .*mirrord-up\\.yaml \\(pid ${run.child.pid}\\)`),
    );
    assert.match(second.stderr, /mirrord-up ps/);
    assert.equal(run.mirrordLog().length, sessionsBefore, "the second up started no session");
    // Through a link to the file: the same file, the same answer.
    symlinkSync(join(run.dir, "mirrord-up.yaml"), join(run.dir, "link.yaml"));
    const viaLink = await client(run, ["ps", "-f", "link.yaml", "--format", "json"]);
    assert.equal(viaLink.code, 0, viaLink.stderr);
    assert.equal(run.child.exitCode, null);
    await stopAndCheck(run);
  });

  it("a socket left by an up that was killed is replaced by the next up", async () => {
    const first = startUp(CONFIG);
    await whenReady(first);
    first.child.kill("SIGKILL");
    await first.exited;
    await nothingLeft(first.marker);
    assert.equal(socketsOf(first).length, 1, "SIGKILL left the socket behind");
    const stale = await client(first, ["ps"]);
    assert.equal(stale.code, 2);
    assert.match(stale.stderr, /no mirrord-up is running/);

    // A new up for the same file, in the same directory and environment.
    let seen = "";
    const second = client(first, ["-k", "tester"], {
      env: { MIRRORD_BIN: FAKE_MIRRORD },
      onStdout: (t) => {
        seen = t;
      },
    });
    await waitUntil(
      () => seen.includes("all 2 services ready"),
      60_000,
      `the second up to be ready: ${seen}`,
    );
    const rows = await ps(first);
    assert.equal(byName(rows, "api").state, "ready");
    const down = await client(first, ["down"]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await second).code, 0);
    await nothingLeft(first.marker);
  });
});

describe("up refuses an untrusted runtime directory, before starting anything", { timeout: 60_000 }, () => {
  async function refused(runtimeDir: string, message: RegExp): Promise<void> {
    const run = startUp(CONFIG, { env: { MIRRORD_UP_RUNTIME_DIR: runtimeDir } });
    const { code } = await run.exited;
    assert.equal(code, 2);
    assert.match(run.stderr(), message);
    assert.doesNotMatch(run.stderr(), /\n\s+at /, "no stack trace");
    assert.deepEqual(run.mirrordLog(), [], "no session was started");
    await nothingLeft(run.marker);
  }

  it("a symbolic link, even to a private directory", async () => {
    const base = tempDir();
    mkdirSync(join(base, "real"), { mode: 0o700 });
    symlinkSync(join(base, "real"), join(base, "link"));
    await refused(join(base, "link"), /refusing the runtime directory .*link: it is a symbolic link/);
  });

  it("a directory someone else owns", {
    skip: process.getuid?.() !== 0 && "needs root to chown",
  }, async () => {
    const dir = join(tempDir(), "theirs");
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    await refused(dir, /refusing the runtime directory .*theirs: it is owned by uid 65534/);
  });

  it("a directory others can read", async () => {
    const dir = join(tempDir(), "open");
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o755);
    await refused(dir, /other users can access it \(mode 0755\)/);
  });
});
