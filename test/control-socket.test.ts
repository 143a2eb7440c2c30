/**
 * The control socket on its own: the runtime directory and what it refuses, claiming (a running
 * instance is left alone, a stale socket is replaced), and the API over a real Unix socket,
 * with a scripted run on the other side (test/helpers/run-control-stub.ts).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ControlClient, locateInstance } from "../src/control/client.js";
import {
  configFileIdentity,
  ensureRuntimeDir,
  existingRuntimeDir,
  runtimeDirPath,
  socketPathFor,
} from "../src/control/runtime-dir.js";
import { type ControlSocket, claimSocketPath, startControlServer } from "../src/control/server.js";
import { UserError } from "../src/core/errors.js";
import type { LogEntry } from "../src/run/control-types.js";
import { checkAnswer } from "./helpers/contract.js";
import { killMarked, MARKER_VAR, newMarker } from "./helpers/processes.js";
import { RunControlStub } from "./helpers/run-control-stub.js";
import { tempDir } from "./helpers/tmp.js";
import { waitUntil } from "./helpers/wait.js";

const marker = newMarker();
after(() => killMarked(marker));

const uid = process.getuid?.() ?? 0;

/** A fresh private runtime directory and a socket path in it. */
function socketPath(): string {
  const dir = join(tempDir(), "run");
  ensureRuntimeDir({ MIRRORD_UP_RUNTIME_DIR: dir }, "/");
  return join(dir, "x.sock");
}

const opened: ControlSocket[] = [];
after(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

async function serve(
  control: RunControlStub,
  path = socketPath(),
): Promise<{ path: string; client: ControlClient }> {
  const socket = await startControlServer(control, path, "/stub/mirrord-up.yaml");
  opened.push(socket);
  const client = new ControlClient({
    file: "/stub/mirrord-up.yaml",
    shownFile: "mirrord-up.yaml",
    configFlag: undefined,
    socketPath: path,
  });
  return { path, client };
}

/** A raw request, for what the client never sends; its answer is checked against the contract. */
function raw(
  path: string,
  method: string,
  url: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: path, path: url, method, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
      });
      res.on("end", () => {
        try {
          checkAnswer(method, url, res.statusCode ?? 0, res.headers["content-type"] ?? "", text);
          resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers });
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  assert.fail("expected a UserError");
}

describe("the runtime directory", () => {
  it("is MIRRORD_UP_RUNTIME_DIR, else $XDG_RUNTIME_DIR/mirrord-up, else $TMPDIR (or /tmp)/mirrord-up-<uid>", () => {
    assert.equal(
      runtimeDirPath({ MIRRORD_UP_RUNTIME_DIR: "/a", XDG_RUNTIME_DIR: "/b", TMPDIR: "/c" }, "/"),
      "/a",
    );
    assert.equal(runtimeDirPath({ XDG_RUNTIME_DIR: "/b", TMPDIR: "/c" }, "/"), "/b/mirrord-up");
    assert.equal(runtimeDirPath({ XDG_RUNTIME_DIR: "relative", TMPDIR: "/c" }, "/"), `/c/mirrord-up-${uid}`);
    assert.equal(runtimeDirPath({}, "/"), `/tmp/mirrord-up-${uid}`);
  });

  it("is created private (0700)", () => {
    const dir = join(tempDir(), "run");
    assert.equal(ensureRuntimeDir({ MIRRORD_UP_RUNTIME_DIR: dir }, "/"), dir);
    assert.equal(lstatSync(dir).mode & 0o777, 0o700);
  });

  it("is not created under a parent that is missing: that is reported, exit 2", () => {
    const dir = join(tempDir(), "missing", "run");
    const error = userError(() => ensureRuntimeDir({ MIRRORD_UP_RUNTIME_DIR: dir }, "/"));
    assert.match(
      error.message,
      /cannot create the runtime directory .*missing\/run: no such file or directory/,
    );
    assert.equal(error.exitCode, 2);
  });

  it("is refused when it is a symbolic link, even to a private directory of ours", () => {
    const base = tempDir();
    mkdirSync(join(base, "real"), { mode: 0o700 });
    symlinkSync(join(base, "real"), join(base, "link"));
    const env = { MIRRORD_UP_RUNTIME_DIR: join(base, "link") };
    assert.match(
      userError(() => ensureRuntimeDir(env, "/")).message,
      /refusing the runtime directory .*link: it is a symbolic link/,
    );
    assert.match(userError(() => existingRuntimeDir(env, "/")).message, /symbolic link/);
  });

  it("is refused when it is not a directory", () => {
    const file = join(tempDir(), "file");
    writeFileSync(file, "");
    assert.match(
      userError(() => ensureRuntimeDir({ MIRRORD_UP_RUNTIME_DIR: file }, "/")).message,
      /it is not a directory/,
    );
  });

  it("is refused when others can access it, with the chmod to fix it", () => {
    const dir = join(tempDir(), "open");
    mkdirSync(dir);
    chmodSync(dir, 0o750);
    const error = userError(() => ensureRuntimeDir({ MIRRORD_UP_RUNTIME_DIR: dir }, "/"));
    assert.match(error.message, /other users can access it \(mode 0750\)/);
    assert.match(error.diagnostics[0]?.hint ?? "", new RegExp(`chmod 700 ${dir}`));
    assert.equal(error.exitCode, 2);
  });

  it("is refused when someone else owns it", { skip: uid !== 0 && "needs root to chown" }, () => {
    const dir = join(tempDir(), "theirs");
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    const error = userError(() => ensureRuntimeDir({ MIRRORD_UP_RUNTIME_DIR: dir }, "/"));
    assert.match(error.message, new RegExp(`owned by uid 65534, not by you \\(uid ${uid}\\)`));
  });

  it("does not exist until up needs it: clients then know nothing runs", () => {
    const dir = join(tempDir(), "never");
    assert.equal(existingRuntimeDir({ MIRRORD_UP_RUNTIME_DIR: dir }, "/"), undefined);
    assert.equal(existsSync(dir), false);
  });
});

describe("one socket per config file", () => {
  it("is keyed by the file's real path: a link to the file finds the same socket", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "mirrord-up.yaml"), "services: {}\n");
    writeFileSync(join(dir, "other.yaml"), "services: {}\n");
    symlinkSync(join(dir, "mirrord-up.yaml"), join(dir, "link.yaml"));
    const viaDefault = socketPathFor("/r", configFileIdentity(undefined, dir));
    assert.equal(socketPathFor("/r", configFileIdentity("link.yaml", dir)), viaDefault);
    assert.equal(socketPathFor("/r", configFileIdentity(join(dir, "mirrord-up.yaml"), "/")), viaDefault);
    assert.notEqual(socketPathFor("/r", configFileIdentity("other.yaml", dir)), viaDefault);
    assert.match(viaDefault, /^\/r\/[0-9a-f]{16}\.sock$/);
  });

  it("refuses a socket path too long for a Unix socket instead of letting it be truncated", () => {
    const error = userError(() => socketPathFor(`/${"d".repeat(100)}`, "/x.yaml"));
    assert.match(error.message, /too long for a Unix socket/);
    assert.match(error.diagnostics[0]?.hint ?? "", /MIRRORD_UP_RUNTIME_DIR/);
  });
});

describe("claiming the socket", () => {
  it("binds a socket only its owner can use, answering info while up is still starting", async () => {
    const path = socketPath();
    const claim = await claimSocketPath(path, "/w/mirrord-up.yaml");
    assert.equal(claim.kind, "claimed");
    if (claim.kind !== "claimed") return;
    opened.push(claim.socket);
    assert.equal(lstatSync(path).mode & 0o777, 0o600);
    assert.ok(lstatSync(path).isSocket());
    const info = await raw(path, "GET", "/v1/info");
    assert.deepEqual(JSON.parse(info.body), {
      api: 1,
      pid: process.pid,
      file: "/w/mirrord-up.yaml",
      starting: true,
    });
    assert.equal((await raw(path, "GET", "/v1/services")).status, 503);
  });

  it("leaves a running instance alone and says which pid holds it", async () => {
    const { path } = await serve(new RunControlStub());
    const second = await claimSocketPath(path, "/w/mirrord-up.yaml");
    assert.deepEqual(second, {
      kind: "running",
      pid: process.pid,
      file: "/w/mirrord-up.yaml",
      socketPath: path,
    });
    assert.ok(lstatSync(path).isSocket(), "the running instance's socket is still there");
    await assert.rejects(
      startControlServer(new RunControlStub(), path),
      /mirrord-up is already running for .* \(pid \d+\)/,
    );
  });

  it("replaces a stale socket whose process was killed", async () => {
    const path = socketPath();
    // A process that listens, then dies by SIGKILL: the socket file stays, nobody answers.
    const child = spawn(
      process.execPath,
      ["-e", `require("net").createServer().listen(${JSON.stringify(path)}, () => console.log("listening"))`],
      { env: { ...process.env, [MARKER_VAR]: marker }, stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    assert.ok(lstatSync(path).isSocket(), "the dead process left its socket behind");

    const { client } = await serve(new RunControlStub(), path);
    const info = await client.get("/v1/info");
    assert.equal(info.pid, process.pid);
  });

  it("replaces a file that is not a socket", async () => {
    const path = socketPath();
    writeFileSync(path, "not a socket");
    const { client } = await serve(new RunControlStub(), path);
    assert.equal((await client.get("/v1/info")).key, "tester");
  });

  it("lets exactly one of several simultaneous claims win, even over a stale socket", async () => {
    const path = socketPath();
    writeFileSync(path, "stale");
    const claims = await Promise.all([1, 2, 3, 4].map(() => claimSocketPath(path, "/w/f.yaml")));
    for (const c of claims) if (c.kind === "claimed") opened.push(c.socket);
    assert.equal(claims.filter((c) => c.kind === "claimed").length, 1);
    assert.equal(claims.filter((c) => c.kind === "running").length, 3);
    assert.equal((await raw(path, "GET", "/v1/info")).status, 200);
  });

  it("closing removes the socket and ends open streams with an end frame", async () => {
    const path = socketPath();
    const control = new RunControlStub();
    const socket = await startControlServer(control, path);
    const client = new ControlClient({ file: "f", shownFile: "f", configFlag: undefined, socketPath: path });
    const stream = client.stream("/v1/logs", "follow=1", () => {});
    await waitUntil(() => control.logFollowerCount === 1);
    await socket.close();
    assert.deepEqual(await stream.done, { end: "closing" });
    assert.equal(existsSync(path), false);
    assert.equal(control.logFollowerCount, 0, "the stream unsubscribed");
  });
});

describe("what the socket costs an up that nobody asks", () => {
  it("loads node:http with the first connection, not before (a fresh process, a raw request)", () => {
    const script = [
      'import { connect } from "node:net";',
      'import { claimSocketPath } from "./src/control/server.ts";',
      'const loaded = () => process.moduleLoadList.includes("NativeModule http");',
      "const path = process.argv[1];",
      'const claim = await claimSocketPath(path, "f");',
      "const before = loaded();",
      "const answer = await new Promise((resolve, reject) => {",
      "  const c = connect(path);",
      '  let text = "";',
      '  c.on("data", (d) => { text += d; });',
      '  c.on("end", () => resolve(text));',
      '  c.on("error", reject);',
      '  c.write("GET /v1/info HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n");',
      "});",
      "await claim.socket.close();",
      'console.log(JSON.stringify({ before, after: loaded(), status: answer.split("\\r\\n")[0] }));',
    ].join("\n");
    const run = spawnSync(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script, socketPath()],
      { encoding: "utf8", timeout: 30_000 },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { before: false, after: true, status: "HTTP/1.1 200 OK" });
  });

  it("closing ends an idle keep-alive connection (a browser's) and answers a request in flight first", async () => {
    const path = socketPath();
    const control = new RunControlStub();
    const socket = await startControlServer(control, path);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ status: number; socket: import("node:net").Socket }>((resolve, reject) => {
        const req = request({ socketPath: path, path: "/v1/info", agent }, (res) => {
          res.resume();
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, socket: req.socket as import("node:net").Socket }),
          );
        });
        req.on("error", reject);
        req.end();
      });
    const first = await get();
    assert.equal(first.status, 200);
    const idleClosed = new Promise<void>((resolve) => first.socket.once("close", () => resolve()));
    const following = new ControlClient({
      file: "f",
      shownFile: "f",
      configFlag: undefined,
      socketPath: path,
    }).stream("/v1/logs", "follow=1", () => {});
    await waitUntil(() => control.logFollowerCount === 1);
    await socket.close();
    await idleClosed;
    assert.deepEqual(await following.done, { end: "closing" });
    assert.equal(existsSync(path), false);
    agent.destroy();
  });
});

describe("the control API", () => {
  it("services: what ps shows, field for field", async () => {
    const control = new RunControlStub();
    const { client } = await serve(control);
    const { services } = await client.get("/v1/services");
    assert.deepEqual(services, control.services);
  });

  it("logs: every byte value survives the framing, invalid UTF-8 included", async () => {
    const control = new RunControlStub();
    const bytes = Buffer.from(
      [...Array(256).keys()].filter((b) => b !== 10).concat([10, 0xff, 0xfe, 0xc3, 10]),
    );
    control.emit("api", "stdout", bytes.toString("latin1"));
    const { client } = await serve(control);
    const got: LogEntry[] = [];
    const end = await client.stream("/v1/logs", "", (f) => got.push(f)).done;
    assert.deepEqual(end, { end: "complete" });
    assert.equal(got.length, 1);
    assert.ok(Buffer.from(got[0]?.text ?? "", "latin1").equals(bytes));
  });

  it("logs: tail per service, only the services asked for, in order", async () => {
    const control = new RunControlStub();
    for (let i = 1; i <= 5; i++) {
      control.emit("api", "stdout", `a${i}\n`);
      control.emit("web", "stderr", `w${i}\n`);
    }
    const { client } = await serve(control);
    const texts = async (query: string) => {
      const got: string[] = [];
      await client.stream("/v1/logs", query, (f) => got.push(f.text)).done;
      return got.join("");
    };
    assert.equal(await texts("tail=2"), "a4\nw4\na5\nw5\n");
    assert.equal(await texts("service=web&tail=1"), "w5\n");
    assert.equal(await texts("service=api&tail=0"), "");
  });

  it("logs -f: the buffered lines, then new ones as they come, until the run ends", async () => {
    const control = new RunControlStub();
    control.emit("api", "stdout", "before\n");
    const { client } = await serve(control);
    const got: string[] = [];
    const stream = client.stream("/v1/logs", "service=api&follow=1", (f) => got.push(f.text));
    await waitUntil(() => control.logFollowerCount === 1);
    control.emit("web", "stdout", "not asked for\n");
    control.emit("api", "stdout", "after\n");
    await waitUntil(() => got.length === 2);
    control.end();
    assert.deepEqual(await stream.done, { end: "run-ended" });
    assert.deepEqual(got, ["before\n", "after\n"]);
  });

  it("two clients following at once both get every line", async () => {
    const control = new RunControlStub();
    const { client } = await serve(control);
    const a: string[] = [];
    const b: string[] = [];
    const sa = client.stream("/v1/logs", "follow=1", (f) => a.push(f.text));
    const sb = client.stream("/v1/logs", "follow=1", (f) => b.push(f.text));
    await waitUntil(() => control.logFollowerCount === 2);
    for (let i = 0; i < 100; i++) control.emit(i % 2 ? "api" : "web", "stdout", `line ${i}\n`);
    control.end();
    await Promise.all([sa.done, sb.done]);
    const all = [...Array(100).keys()].map((i) => `line ${i}\n`);
    assert.deepEqual(a, all);
    assert.deepEqual(b, all);
  });

  it("a follower that stops reading is cut off with an end frame instead of being buffered for", async () => {
    const control = new RunControlStub();
    const { client } = await serve(control);
    let received = 0;
    const stream = client.stream("/v1/logs", "follow=1", () => {
      received++;
    });
    stream.pause();
    await waitUntil(() => control.logFollowerCount === 1);
    const mib = `${"x".repeat(1024 * 1024 - 1)}\n`;
    for (let i = 0; i < 40 && control.logFollowerCount === 1; i++) control.emit("api", "stdout", mib);
    assert.equal(control.logFollowerCount, 0, "the server let go of the reader");
    stream.resume();
    assert.deepEqual(await stream.done, {
      end: "too-slow",
      error: "the reader fell 16 MiB behind and was cut off",
    });
    // 16 MiB at most is queued for it, this line included: 15 entries of 1 MiB (and their JSON) fit.
    assert.ok(received >= 15 && received <= 16, `got ${received} entries before the cut`);
  });

  it("events: the timeline, then new events with follow", async () => {
    const control = new RunControlStub();
    control.event({ time: 1, service: "api", kind: "started" });
    const { client } = await serve(control);
    const got: unknown[] = [];
    const stream = client.stream("/v1/events", "follow=1", (f) => got.push(f));
    await waitUntil(() => got.length === 1);
    control.event({ time: 2, service: "api", kind: "ready", detail: "ready in 2.1s" });
    await waitUntil(() => got.length === 2);
    control.end();
    await stream.done;
    assert.deepEqual(got, control.eventLog);
  });

  it("an unknown service is refused with the closest name and the list", async () => {
    const control = new RunControlStub(["api", "web"]);
    const { client, path } = await serve(control);
    await assert.rejects(client.post("/v1/restart", { services: ["apii"] }), (error: UserError) => {
      assert.equal(error.message, 'unknown service "apii"');
      assert.equal(error.diagnostics[0]?.hint, 'did you mean "api"? services of this run: api, web');
      assert.equal(error.exitCode, 2);
      return true;
    });
    assert.equal((await raw(path, "GET", "/v1/logs?service=wbe")).status, 404);
    assert.deepEqual(control.calls, [], "nothing was done");
  });

  it("restart, stop and start hand the named services to the run and answer what it said", async () => {
    const control = new RunControlStub();
    const { client } = await serve(control);
    control.nextResult = { ok: true, messages: ["api: restarted (pid 1 → 2)"] };
    assert.deepEqual((await client.post("/v1/restart", { services: ["api"] })).body, control.nextResult);
    await client.post("/v1/stop", { services: ["web", "api", "web"] });
    await client.post("/v1/start", { services: ["web"] });
    assert.deepEqual(control.calls, [
      ["restart", ["api"]],
      ["stop", ["web", "api"]],
      ["start", ["web"]],
    ]);
  });

  it("a refused action (an invalid file on reload) is a 422 with the run's errors", async () => {
    const control = new RunControlStub();
    const { client } = await serve(control);
    control.nextResult = { ok: false, errors: ["mirrord-up.yaml:3:5: error: unknown key"] };
    const reply = await client.post("/v1/reload", {});
    assert.equal(reply.status, 422);
    assert.deepEqual(reply.body, control.nextResult);
  });

  it("state-changing requests are POST only, with a JSON content type", async () => {
    const control = new RunControlStub();
    const { path } = await serve(control);
    const get = await raw(path, "GET", "/v1/restart");
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, "POST");
    const form = await raw(path, "POST", "/v1/down", "services=api", {
      "content-type": "application/x-www-form-urlencoded",
    });
    assert.equal(form.status, 415);
    const bad = await raw(path, "POST", "/v1/stop", '{"services": "api"}', {
      "content-type": "application/json",
    });
    assert.equal(bad.status, 400);
    const none = await raw(path, "POST", "/v1/restart", "{}", { "content-type": "application/json" });
    assert.equal(none.status, 400);
    assert.equal((await raw(path, "GET", "/v1/servics")).status, 404);
    assert.deepEqual(control.calls, []);
    assert.equal(control.shutdownRequested, false);
  });

  it("down ends the run and answers only once every service has stopped; then nothing more is taken", async () => {
    const control = new RunControlStub();
    const { client } = await serve(control);
    let answered = false;
    const down = client.post("/v1/down", {}).then((r) => {
      answered = true;
      return r;
    });
    await waitUntil(() => control.shutdownRequested);
    await assert.rejects(client.post("/v1/restart", { services: ["api"] }), /stopping every service/);
    assert.equal(answered, false, "not before the run has ended");
    control.end();
    assert.deepEqual((await down).body, { ok: true, messages: ["every service has stopped"] });
    assert.deepEqual(control.calls, [["shutdown", []]]);
  });
});

describe("the client", () => {
  it("says no mirrord-up is running, and how to start one, when nothing listens", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "staging.yaml"), "services: {}\n");
    const env = { MIRRORD_UP_RUNTIME_DIR: join(dir, "run") };
    const client = new ControlClient(locateInstance("staging.yaml", env, dir));
    await assert.rejects(client.get("/v1/info"), (error: UserError) => {
      assert.equal(error.message, "no mirrord-up is running for staging.yaml");
      assert.equal(error.diagnostics[0]?.hint, "start one with `mirrord-up -f staging.yaml`");
      assert.equal(error.exitCode, 2);
      return true;
    });
    // A runtime directory that exists, with a stale socket in it: the same answer.
    ensureRuntimeDir(env, dir);
    const instance = locateInstance("staging.yaml", env, dir);
    writeFileSync(instance.socketPath ?? "", "");
    await assert.rejects(
      new ControlClient(instance).get("/v1/info"),
      /no mirrord-up is running for staging.yaml/,
    );
  });
});
