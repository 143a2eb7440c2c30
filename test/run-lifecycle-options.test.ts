/** The new `up` flags: how much output `logs` keeps (`--log-lines`, `--log-bytes`), and their checks. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { BIN_ARGS } from "./helpers/paths.js";
import { MARKER_VAR } from "./helpers/processes.js";
import { nothingLeft, runUp, startUp, type UpRun } from "./helpers/up.js";

function logs(run: UpRun): string {
  const r = spawnSync(process.execPath, [...BIN_ARGS, "logs", "--no-color"], {
    cwd: run.dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: run.dir, [MARKER_VAR]: run.marker },
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Twenty lines, apart in time: the buffer keeps whole reads, so each line should be its own. */
const TWENTY_LINES = `
services:
  counter:
    run: {type: local, command: [bash, -c, 'for i in $(seq 1 20); do echo "line $i"; sleep 0.02; done; echo done; exec sleep 3600']}
`;

describe("log buffer limits", { timeout: 180_000 }, () => {
  it("--log-lines N keeps the last N lines of each service for `logs`", async () => {
    const run = startUp(TWENTY_LINES, { args: ["--log-lines", "5"] });
    await run.waitForOutput("counter | done");
    const text = logs(run);
    assert.doesNotMatch(text, /line 1\n/);
    assert.match(text, /counter \| line 20\ncounter \| done\n/);
    assert.ok(text.split("\n").filter(Boolean).length <= 5, text);
    run.child.kill("SIGINT");
    await run.exited;
    await nothingLeft(run.marker);
  });

  it("--log-bytes N keeps at most N bytes (whole lines) of each service", async () => {
    const run = startUp(TWENTY_LINES, { args: ["--log-bytes", "40"] });
    await run.waitForOutput("counter | done");
    const text = logs(run);
    assert.doesNotMatch(text, /line 10\n/);
    assert.match(text, /counter \| done\n/);
    run.child.kill("SIGINT");
    await run.exited;
    await nothingLeft(run.marker);
  });

  it("a limit that is not a whole number above 0 is a usage error", async () => {
    for (const args of [
      ["--log-lines", "0"],
      ["--log-bytes", "8M"],
      ["--log-lines", "-1"],
    ]) {
      const { code, stderr } = await runUp(TWENTY_LINES, { args });
      assert.equal(code, 2, args.join(" "));
      assert.match(stderr, /expected a whole number above 0/);
    }
  });
});
