/**
 * The readiness checks as functions, against real servers on 127.0.0.1 and real commands, and the
 * loop that repeats them (its decisions, not its timing).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  checkCommand,
  checkHttp,
  checkPort,
  LogMatcher,
  type ProbeOutcome,
  waitUntilReady,
} from "../src/run/readiness-probe.js";
import { freePort } from "./helpers/ports.js";
import { isAlive } from "./helpers/processes.js";
import { tempDir } from "./helpers/tmp.js";
import { waitUntil } from "./helpers/wait.js";

const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return typeof address === "object" && address ? address.port : 0;
}

const never = () => new AbortController().signal;

describe("port check", () => {
  it("passes when 127.0.0.1:PORT accepts, and says `refused` when nothing listens", async () => {
    const port = await serve((_req, res) => res.end());
    assert.deepEqual(await checkPort(port, never()), { ok: true });
    const closed = await freePort();
    assert.deepEqual(await checkPort(closed, never()), { ok: false, reason: `port ${closed} refused` });
  });
});

describe("http check", () => {
  it("2xx and 3xx pass (a redirect is not followed); other answers say their status", async () => {
    const port = await serve((req, res) => {
      if (req.url === "/ok") res.end("fine");
      else if (req.url === "/moved") res.writeHead(302, { location: "/broken" }).end();
      else res.writeHead(req.url === "/broken" ? 500 : 503).end();
    });
    const base = `http://127.0.0.1:${port}`;
    assert.deepEqual(await checkHttp(`${base}/ok`, never()), { ok: true });
    assert.deepEqual(await checkHttp(`${base}/moved`, never()), { ok: true });
    assert.deepEqual(await checkHttp(`${base}/starting`, never()), {
      ok: false,
      reason: `${base}/starting answered 503`,
    });
  });

  it("a refused connection names its cause; a server that never answers is cut off by the signal", async () => {
    const closed = await freePort();
    const refused = await checkHttp(`http://127.0.0.1:${closed}/`, never());
    assert.deepEqual(refused, { ok: false, reason: `http://127.0.0.1:${closed}/: ECONNREFUSED` });
    const silent = await serve(() => {});
    const stop = new AbortController();
    const pending = checkHttp(`http://127.0.0.1:${silent}/`, stop.signal);
    stop.abort();
    assert.deepEqual(await pending, { ok: false, reason: `http://127.0.0.1:${silent}/: no answer` });
  });
});

describe("command check", () => {
  it("passes on exit 0, in the given directory and environment; says how it failed otherwise", async () => {
    const dir = tempDir();
    const context = { cwd: dir, env: { PATH: process.env.PATH, X: "y" }, signal: never() };
    assert.deepEqual(await checkCommand(["bash", "-c", 'test "$X" = y && touch here'], context), {
      ok: true,
    });
    assert.ok(readFileSync(join(dir, "here")).length === 0, "ran in the given directory");
    assert.deepEqual(await checkCommand(["bash", "-c", "exit 3"], context), {
      ok: false,
      reason: "`bash -c exit 3` exited with code 3",
    });
  });

  it("a program that does not exist fails at once (fatal: trying again cannot help)", async () => {
    const outcome = await checkCommand(["no-such-program-here"], {
      cwd: "/",
      env: process.env,
      signal: never(),
    });
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.fatal, true);
    assert.match(!outcome.ok ? outcome.reason : "", /`no-such-program-here`: cannot run it \(ENOENT\)/);
  });

  it("a command that outlives its attempt is killed with its whole group", async () => {
    const dir = tempDir();
    const stop = new AbortController();
    const pending = checkCommand(["bash", "-c", "sleep 3600 & echo $! > child; wait"], {
      cwd: dir,
      env: process.env,
      signal: stop.signal,
    });
    const child = await waitUntil(
      () => {
        try {
          return Number(readFileSync(join(dir, "child"), "utf8")) || undefined;
        } catch {
          return undefined;
        }
      },
      30_000,
      "the command's child",
    );
    stop.abort();
    assert.match(((await pending) as { reason: string }).reason, /did not finish/);
    await waitUntil(() => !isAlive(child), 30_000, "the child to be killed");
  });
});

describe("log check", () => {
  it("matches a line in Rust regex syntax, colours ignored; only the first match counts", () => {
    const matcher = new LogMatcher("(?i)^listening ON :\\d+$");
    assert.equal(matcher.offer("starting"), false);
    assert.equal(matcher.offer("\x1b[32mListening on :8080\x1b[0m"), true);
    assert.equal(matcher.matched, true);
    assert.equal(matcher.offer("listening on :9090"), false, "already matched");
  });
});

/** An attempt that hangs until the deadline aborts it, then reports that it got no answer. */
const unanswered = (deadline: AbortSignal): Promise<ProbeOutcome> =>
  new Promise((resolve) =>
    deadline.addEventListener("abort", () => resolve({ ok: false, reason: "port 1: no answer" })),
  );

describe("waiting until ready", () => {
  it("passes as soon as an attempt passes", async () => {
    let attempts = 0;
    const result = await waitUntilReady({
      intervalMs: 1,
      timeoutMs: 60_000,
      signal: never(),
      attempt: async () => (++attempts < 3 ? { ok: false, reason: "not yet" } : { ok: true }),
    });
    assert.deepEqual(result, { ok: true });
    assert.equal(attempts, 3);
  });

  it("gives up after the timeout with the last attempt's reason", async () => {
    const result = await waitUntilReady({
      intervalMs: 20,
      timeoutMs: 200,
      signal: never(),
      attempt: async () => ({ ok: false, reason: "port 1 refused" }),
    });
    assert.deepEqual(result, { ok: false, aborted: false, reason: "not ready after 200ms (port 1 refused)" });
  });

  it("an attempt cut short by the deadline does not hide the last answer an attempt got", async () => {
    let attempts = 0;
    const result = await waitUntilReady({
      intervalMs: 1,
      timeoutMs: 300,
      signal: never(),
      // The first attempt is answered; the second hangs until the deadline aborts it (as a
      // connect can on a loaded machine) and then reports that it got no answer.
      attempt: (deadline) =>
        ++attempts === 1 ? Promise.resolve({ ok: false, reason: "port 1 refused" }) : unanswered(deadline),
    });
    assert.deepEqual(result, { ok: false, aborted: false, reason: "not ready after 300ms (port 1 refused)" });
    assert.equal(attempts, 2);
  });

  it("with no answered attempt, the cut one is what is reported", async () => {
    const result = await waitUntilReady({
      intervalMs: 1,
      timeoutMs: 100,
      signal: never(),
      attempt: unanswered,
    });
    assert.deepEqual(result, {
      ok: false,
      aborted: false,
      reason: "not ready after 100ms (port 1: no answer)",
    });
  });

  it("a fatal outcome ends the wait at once", async () => {
    let attempts = 0;
    const result = await waitUntilReady({
      intervalMs: 1,
      timeoutMs: 3_600_000,
      signal: never(),
      attempt: async () => {
        attempts++;
        return { ok: false, reason: "`x`: cannot run it (ENOENT)", fatal: true };
      },
    });
    assert.deepEqual(result, { ok: false, aborted: false, reason: "not ready: `x`: cannot run it (ENOENT)" });
    assert.equal(attempts, 1);
  });

  it("an event cuts the pause short (a log line), and an abort ends the wait", async () => {
    let wake: (() => void) | undefined;
    let matched = false;
    const waiting = waitUntilReady({
      // Without the wake-up this would wait an hour (and the test time out).
      intervalMs: 3_600_000,
      timeoutMs: 7_200_000,
      signal: never(),
      attempt: async () => (matched ? { ok: true } : { ok: false, reason: "no line matched" }),
      onWake: (w) => {
        wake = w;
        return () => {
          wake = undefined;
        };
      },
    });
    await waitUntil(() => wake, 30_000, "the pause");
    matched = true;
    wake?.();
    assert.deepEqual(await waiting, { ok: true });

    const stop = new AbortController();
    const aborted = waitUntilReady({
      intervalMs: 3_600_000,
      timeoutMs: 7_200_000,
      signal: stop.signal,
      attempt: async () => ({ ok: false, reason: "no" }),
    });
    stop.abort();
    assert.deepEqual(await aborted, { ok: false, aborted: true });
  });
});
