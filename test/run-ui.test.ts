/**
 * `-u, --ui` starts mirrord's session monitor as upstream `mirrord up -u` does (default port
 * 59281, no browser) and tells the user where it is; it is stopped with the sessions.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { uiAddress } from "../src/run/mirrord-ui.js";
import { MARKER_VAR, newMarker, processesWithMarker } from "./helpers/processes.js";
import { tempDir } from "./helpers/tmp.js";
import { FAKE_MIRRORD, nothingLeft, startUp } from "./helpers/up.js";

const ONE_SERVICE = `services:\n  api:\n    target: {path: deployment/api}\n    run: {command: [sleep, "3600"]}\n`;

describe("--ui", { timeout: 60_000 }, () => {
  it("starts `mirrord ui --no-browser` on the default port and prints the address it reports", async () => {
    const args = join(tempDir(), "ui-args.txt");
    const run = startUp(ONE_SERVICE, { args: ["--ui"], env: { FAKE_MIRRORD_UI_ARGS: args } });
    await run.waitForOutput(
      "mirrord-up: mirrord ui at http://127.0.0.1:59281/auth?token=stand-in-token&redirect=/\n",
    );
    await run.waitForOutput("1 session ready");
    assert.equal(readFileSync(args, "utf8"), "start port=59281 browser=none\n");
    assert.ok(
      processesWithMarker(run.marker).some((p) => /^mirrord-ui /.test(p.cmdline)),
      "the monitor server runs in the background",
    );
    run.child.kill("SIGINT");
    assert.equal((await run.exited).code, 0);
    await nothingLeft(run.marker);
  });

  it("a failing `mirrord ui` is a warning with its error line, and the sessions carry on", async () => {
    const run = startUp(ONE_SERVICE, { args: ["--ui"], env: { FAKE_MIRRORD_UI_FAIL: "port 59281 in use" } });
    await run.waitForOutput(
      "mirrord ui exited with code 1: Error: port 59281 in use; carrying on without it",
    );
    await run.waitForOutput("1 session ready");
    assert.doesNotMatch(run.stdout().toString(), /mirrord ui at/);
    run.child.kill("SIGINT");
    assert.equal((await run.exited).code, 0);
    await nothingLeft(run.marker);
  });
});

describe("the address in mirrord ui's report", () => {
  const report = (first: string) =>
    `\n* ${first}\n* Server PID:\n -> 42\n\n* Web UI:\n -> http://127.0.0.1:59281/auth?token=abc&redirect=/\n* API token:\n -> x-mirrord-ui-token: abc\n`;

  it("is the Web UI line's URL", () => {
    assert.deepEqual(uiAddress(report("New mirrord session monitor started")), {
      url: "http://127.0.0.1:59281/auth?token=abc&redirect=/",
      alreadyRunning: false,
    });
  });

  it("says when a monitor was already running", () => {
    assert.equal(uiAddress(report("Another session monitor is already running"))?.alreadyRunning, true);
  });

  it("is absent until the URL has been printed", () => {
    assert.equal(uiAddress("\n* New mirrord session monitor started\n"), undefined);
  });
});

describe("the stand-in `mirrord ui` checks its arguments like clap", () => {
  const ui = (args: string[]) =>
    new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        FAKE_MIRRORD,
        ["ui", ...args],
        { env: { PATH: process.env.PATH, [MARKER_VAR]: newMarker() } },
        (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }),
      ),
    );

  it("rejects an unknown flag with exit 2", async () => {
    const { code, stderr } = await ui(["--open-browser"]);
    assert.equal(code, 2);
    assert.match(stderr, /^error: unexpected argument '--open-browser' found\n\nUsage: mirrord ui/);
  });

  it("rejects --port without a value", async () => {
    const { code, stderr } = await ui(["--no-browser", "--port"]);
    assert.equal(code, 2);
    assert.match(stderr, /a value is required for '--port <PORT>'/);
  });

  it("`ui stop` succeeds without starting anything", async () => {
    assert.equal((await ui(["stop"])).code, 0);
  });
});
