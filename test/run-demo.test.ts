/** The README's quick-start demo runs without a cluster and stops cleanly. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BIN_ARGS, REPO_ROOT } from "./helpers/paths.js";
import { killMarked, MARKER_VAR, newMarker } from "./helpers/processes.js";
import { nothingLeft } from "./helpers/up.js";
import { waitUntil } from "./helpers/wait.js";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs the demo from `cwd` with `args`, waits for the three services, then Ctrl-C. */
async function runDemo(cwd: string, args: string[]): Promise<void> {
  const marker = newMarker();
  const port = await freePort();
  const child = spawn(process.execPath, [...BIN_ARGS, ...args, "-k", "demo-user"], {
    cwd,
    env: { PATH: process.env.PATH, DEMO_PORT: String(port), [MARKER_VAR]: marker },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  let err = "";
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  try {
    await waitUntil(
      () => /caller +\| got 200: hello/.test(out),
      15_000,
      `the caller to reach the greeter:\n${out}\n--- stderr ---\n${err}`,
    );
    assert.match(out, /greeter +\| GET \/hello baggage=mirrord-session=demo-user/);
    assert.match(out, /clock +\| tick \d\d:\d\d:\d\d/);
    assert.match(out, /clock +\| tock \(on stderr\)/);
    child.kill("SIGINT");
    const code = await new Promise((resolve) => child.on("close", resolve));
    assert.equal(code, 0, err);
    assert.match(out, /greeter +\| SIGTERM: shutting down/);
    assert.equal(err, "", "the file is in the current directory or named: nothing to say on stderr");
    await nothingLeft(marker);
  } finally {
    killMarked(marker);
  }
}

describe("examples/demo", { timeout: 120_000 }, () => {
  it("from the repository's root with -f: three local services, merged output, Ctrl-C leaves nothing", async () => {
    await runDemo(REPO_ROOT, ["-f", "examples/demo/mirrord-up.yaml"]);
  });

  it("from examples/demo without -f: the same, its paths being relative to the file", async () => {
    await runDemo(join(REPO_ROOT, "examples", "demo"), []);
  });
});
