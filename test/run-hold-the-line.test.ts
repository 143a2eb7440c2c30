/**
 * A request, a client or a fault never ends a run early or leaves a session behind: what one
 * request or client causes is answered and the run goes on; a failure of the run's own core or
 * of its stop hands the sessions to the watchdog; a killed watchdog is replaced. Real processes:
 * the bin, its watchdog, raw sockets, a lowered descriptor limit, faults preloaded into the bin.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { MAX_DASHBOARD_CONNECTIONS } from "../src/control/dashboard-server.js";
import { claimSocketPath } from "../src/control/server.js";
import { client, down, http, ps, row, startWithDashboard } from "./helpers/dashboard.js";
import { residentKiB, watchdogPid } from "./helpers/processes.js";
import { tempDir } from "./helpers/tmp.js";
import { FIXTURES, nothingLeft, socketsOf, startUp, TWO_SLEEPERS, type UpRun } from "./helpers/up.js";
import { waitUntil } from "./helpers/wait.js";

/** The control socket of a run started by `startUp` (TMPDIR is its directory). */
function socketOf(run: UpRun): string {
  const [sock] = socketsOf(run);
  assert.ok(sock, "the run's control socket");
  return sock;
}

/** Sends `text` as is and resolves with everything the server answered before closing. */
function raw(target: { path: string } | { port: number }, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = "path" in target ? connect(target.path) : connect(target.port, "127.0.0.1");
    let answer = "";
    socket.setEncoding("latin1");
    socket.on("data", (c: string) => {
      answer += c;
      // One answer is enough; the connection may be kept alive.
      if (/\r\n\r\n/.test(answer) && /content-length: (\d+)/i.test(answer)) {
        const length = Number(/content-length: (\d+)/i.exec(answer)?.[1]);
        if (answer.length - answer.indexOf("\r\n\r\n") - 4 >= length) socket.end();
      }
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(answer));
    socket.write(text);
  });
}

function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
}

/** Open descriptors of a process. */
function descriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

const BAD_TARGETS = ["GET http://[ HTTP/1.1", "GET http://a:b:c/ HTTP/1.1", "GET //[::1/ HTTP/1.1"];

describe("a request mirrord-up cannot parse", () => {
  it("is answered 400 by the dashboard and the socket, and the run goes on", async () => {
    const { run, port } = await startWithDashboard(TWO_SLEEPERS);
    await run.waitForOutput("ready");
    const socket = socketOf(run);
    for (const line of BAD_TARGETS) {
      const dashboard = await raw({ port }, `${line}\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      assert.equal(statusOf(dashboard), 400, `${line} to the dashboard: ${dashboard}`);
      const answer = await raw({ path: socket }, `${line}\r\nHost: x\r\n\r\n`);
      assert.equal(statusOf(answer), 400, `${line} to the socket: ${answer}`);
    }
    assert.equal(run.child.exitCode, null, "mirrord-up still runs");
    assert.equal(row(await ps(run), "api").state, "ready");
    assert.equal((await http(port, "/")).status, 200);
    await down(run);
  });

  it("is answered 400 while the socket is claimed but the run not started", async () => {
    const dir = tempDir();
    const path = join(dir, "c.sock");
    const claim = await claimSocketPath(path, join(dir, "mirrord-up.yaml"));
    assert.equal(claim.kind, "claimed");
    if (claim.kind !== "claimed") return;
    try {
      for (const line of BAD_TARGETS) {
        assert.equal(statusOf(await raw({ path }, `${line}\r\nHost: x\r\n\r\n`)), 400);
      }
      const info = await raw({ path }, "GET /v1/info HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(statusOf(info), 200, info);
    } finally {
      await claim.socket.close();
    }
  });
});

describe("descriptors", () => {
  it("a flood of idle dashboard connections under a low descriptor limit: the run steers and stops", async () => {
    const { run, port } = await startWithDashboard(TWO_SLEEPERS);
    await run.waitForOutput("ready");
    const pid = run.child.pid as number;
    // Room for the run and a dashboard's worth of connections, far less than the flood.
    const limit = descriptors(pid) + MAX_DASHBOARD_CONNECTIONS + 24;
    execFileSync("prlimit", ["--pid", String(pid), `--nofile=${limit}:${limit}`]);
    const flood: Socket[] = [];
    try {
      const opened = await Promise.all(
        Array.from(
          { length: 300 },
          () =>
            new Promise<Socket>((resolve) => {
              const s = connect(port, "127.0.0.1");
              s.on("error", () => {});
              s.once("connect", () => resolve(s));
              s.once("close", () => resolve(s));
            }),
        ),
      );
      flood.push(...opened);
      await run.waitForOutput(`more than ${MAX_DASHBOARD_CONNECTIONS} connections at once`);
      assert.ok(descriptors(pid) < limit, `${descriptors(pid)} descriptors of ${limit}`);
      const before = row(await ps(run), "web").pid;
      const restarted = await client(run, ["restart", "web"]);
      assert.equal(restarted.code, 0, restarted.stderr);
      const after = row(await ps(run), "web");
      assert.notEqual(after.pid, before);
      assert.equal(after.state, "running");
    } finally {
      run.child.kill("SIGTERM");
      const { code } = await run.exited;
      for (const s of flood) s.destroy();
      assert.equal(code, 0, run.stderr());
    }
    await nothingLeft(run.marker);
  });

  it("out of descriptors (EMFILE), SIGTERM still stops everything, and the run says why it was short", async () => {
    const run = startUp(TWO_SLEEPERS);
    await run.waitForOutput("ready");
    const pid = run.child.pid as number;
    const socket = socketOf(run);
    const limit = descriptors(pid) + 16;
    execFileSync("prlimit", ["--pid", String(pid), `--nofile=${limit}:${limit}`]);
    // Idle connections to the socket (this user's own) until the process has no descriptor left.
    const held: Socket[] = [];
    for (let i = 0; i < 60; i++) {
      const s = connect(socket);
      s.on("error", () => {});
      held.push(s);
    }
    // Every descriptor is taken once the process holds its limit (libuv drops what it cannot accept).
    await waitUntil(
      () => descriptors(pid) >= limit,
      30_000,
      `the process at its limit of ${limit} descriptors`,
    );
    run.child.kill("SIGTERM");
    const { code } = await run.exited;
    for (const s of held) s.destroy();
    assert.equal(code, 0, run.stderr());
    assert.doesNotMatch(run.stderr(), /internal error|stopping failed/);
    assert.match(run.stderr(), /ran out of file descriptors \(EMFILE\)/);
    await nothingLeft(run.marker);
  });
});

describe("a fault in the run itself", () => {
  const preload = { NODE_OPTIONS: `--require ${join(FIXTURES, "fault-injection.cjs")}` };

  it("a stop that fails leaves the sessions to the watchdog (never 'done')", async () => {
    const run = startUp(TWO_SLEEPERS, { env: { ...preload, FAULT: "no-proc" } });
    await run.waitForOutput("ready");
    const configDirs = () => readdirSync(run.dir).filter((f) => f.startsWith("mirrord-up-config-"));
    assert.equal(configDirs().length, 1);
    run.child.kill("SIGUSR2");
    // The fault is in place once the signal is handled; ps answers after it.
    assert.equal((await client(run, ["ps"])).code, 0);
    run.child.kill("SIGTERM");
    const { code } = await run.exited;
    assert.equal(code, 1);
    assert.match(run.stderr(), /EMFILE/);
    assert.match(run.stderr(), /the watchdog stops every service/);
    assert.doesNotMatch(run.stderr(), /\n\s+at /, "no stack trace");
    await nothingLeft(run.marker);
    await waitUntil(() => configDirs().length === 0, 30_000, "the config directory removed");
  });

  it("an exception outside any request ends the run cleanly: cause said, sessions stopped, exit 1", async () => {
    const run = startUp(TWO_SLEEPERS, { env: { ...preload, FAULT: "throw" } });
    await run.waitForOutput("ready");
    run.child.kill("SIGUSR2");
    const { code } = await run.exited;
    assert.equal(code, 1);
    assert.match(
      run.stderr(),
      /internal error: injected failure in the run's core; the watchdog stops every service/,
    );
    assert.doesNotMatch(run.stderr(), /\n\s+at /, "no stack trace");
    await nothingLeft(run.marker);
  });
});

describe("the watchdog", () => {
  it("killed, is replaced at once; sessions keep running, restart works, and the new one acts", async () => {
    const run = startUp(TWO_SLEEPERS);
    await run.waitForOutput("ready");
    const first = watchdogPid(run.marker);
    assert.ok(first, "a watchdog runs");
    process.kill(first, "SIGKILL");
    await run.waitForOutput(/the watchdog killed by SIGKILL; a new one \(pid \d+\) watches every service/);
    const second = watchdogPid(run.marker);
    assert.ok(second && second !== first, "a new watchdog runs");
    const before = row(await ps(run), "api").pid;
    const restarted = await client(run, ["restart", "api"]);
    assert.equal(restarted.code, 0, restarted.stderr);
    await waitUntil(async () => row(await ps(run), "api").state === "ready", 30_000, "api ready again");
    assert.notEqual(row(await ps(run), "api").pid, before);
    assert.doesNotMatch(run.stdout().toString(), /exited with code 125/);
    // The new watchdog knows the groups started before it and after it.
    run.child.kill("SIGKILL");
    await nothingLeft(run.marker);
  });
});

/** A raw `GET` on the socket that reads its first bytes, then stops reading. */
async function pausedReader(socket: string, path: string): Promise<Socket> {
  const s = connect(socket);
  s.on("error", () => {});
  s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  await new Promise((resolve) => s.once("data", resolve));
  s.pause();
  return s;
}

/** Resumes a paused reader and resolves with the JSON lines of its (chunked) body, once it ends. */
async function readToEnd(s: Socket): Promise<string[]> {
  let text = "";
  s.setEncoding("latin1");
  s.on("data", (c: string) => {
    text += c;
  });
  s.resume();
  await new Promise((resolve) => s.once("end", resolve));
  return text.split("\n").filter((l) => l.startsWith("{"));
}

describe("readers that do not read", () => {
  it("cost a bounded amount whatever they asked; one that reads later still gets its stream; a follower that falls 16 MiB behind is cut with a last line", async () => {
    // 4 MiB of control bytes at each start: ~24 MiB as JSON.
    const config = `
services:
  noisy:
    run: {type: local, command: [node, "-e", "const l = Buffer.alloc(1023, 1); for (let i = 0; i < 4096; i++) process.stdout.write(Buffer.concat([l, Buffer.from('\\\\n')])); console.log('filled'); setInterval(() => {}, 1e6)"]}
`;
    // Room for its 4 MiB, the line that says so and the status lines.
    const run = startUp(config, { args: ["up", "--log-bytes", String(5 * 1024 * 1024)] });
    await run.waitForOutput("ready");
    const pid = run.child.pid as number;
    const socket = socketOf(run);
    const noisyLines = (text: string) => text.split("\n").filter((l) => l === "\x01".repeat(1023)).length;
    // Its 4 MiB are in the buffer once its last line is shown (nothing has read the buffer yet).
    await run.waitForOutput("noisy | filled");
    const baseline = residentKiB(pid);
    const followers: Socket[] = [];
    for (let i = 0; i < 10; i++) followers.push(await pausedReader(socket, "/v1/logs?follow=1"));
    const pager = await pausedReader(socket, "/v1/logs");
    assert.equal((await client(run, ["ps"])).code, 0, "ps answers");
    const grown = (residentKiB(pid) - baseline) / 1024;
    // Each holds what one write queues (no copy of the buffer; ~1 MiB measured), where queueing
    // everything would take 11 x 24 MiB.
    assert.ok(grown < 60, `RSS grew ${grown.toFixed(1)} MiB with eleven readers that do not read`);
    // A reader that reads gets the whole buffer, though it is larger as JSON than the bound.
    const all = await client(run, ["logs", "-n", "all", "--no-log-prefix", "noisy"]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(noisyLines(all.stdout), 4096);
    // Another 24 MiB of JSON for the followers: past the bound, each is cut off (by the time its
    // last line is shown, all of it has gone to them).
    const restarted = await client(run, ["restart", "noisy"]);
    assert.equal(restarted.code, 0, restarted.stderr);
    await waitUntil(
      () => run.stdout().toString().split("noisy | filled").length === 3,
      60_000,
      "the restarted service's output shown",
    );
    const cut = await readToEnd(followers[0] as Socket);
    assert.match(cut.at(-1) ?? "", /^\{"end":"too-slow","error":"the reader fell 16 MiB behind/);
    // The paused `logs` (no follow) is never cut: it ends complete, saying what it missed.
    const paged = await readToEnd(pager);
    assert.equal(paged.at(-1), '{"end":"complete"}');
    assert.ok(
      paged.some((l) => /"stream":"status".*dropped from the buffer before they could be sent/.test(l)),
      "the entries dropped while it paused are named",
    );
    for (const s of followers) s.destroy();
    run.child.kill("SIGTERM");
    assert.equal((await run.exited).code, 0);
    await nothingLeft(run.marker);
  });
});

describe("the socket's path held by another program", () => {
  it("names what is there instead of 'mirrord-up is already running'", async () => {
    const dir = tempDir();
    let path = "";
    // `null`: it accepts and never answers.
    const script = (answer: string | null) =>
      `const s = require("node:net").createServer((c) => { c.on("data", () => ${answer === null ? "{}" : `c.end(${JSON.stringify(answer)})`}); }); s.listen(${JSON.stringify(path)}, () => console.log("up"));`;
    const cases = [
      [
        "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
        /answered HTTP 404 without mirrord-up's information/,
      ],
      ["SSH-2.0-OpenSSH\r\n", /does not speak HTTP/],
      [null, /did not answer within 2 s/],
    ] as const;
    for (const [i, [answer, said]] of cases.entries()) {
      path = join(dir, `held-${i}.sock`);
      const { spawn } = await import("node:child_process");
      const holder = spawn(process.execPath, ["-e", script(answer)], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      try {
        await new Promise((resolve) => holder.stdout.once("data", resolve));
        const claim = await claimSocketPath(path, join(dir, "mirrord-up.yaml"));
        assert.equal(claim.kind, "foreign", JSON.stringify(claim));
        if (claim.kind !== "foreign") continue;
        assert.match(claim.what, new RegExp(`^pid ${holder.pid} \\(node\\), which `));
        assert.match(claim.what, said);
        assert.ok(existsSync(path), "the other program's socket is left alone");
      } finally {
        holder.kill("SIGKILL");
        await new Promise((resolve) => holder.once("close", resolve));
      }
    }
  });
});
