/** `up` flags and what a person sees: prefixes, colours, timestamps, --ui, pipes, bad input. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { BIN, BIN_ARGS } from "./helpers/paths.js";
import { MARKER_VAR, newMarker, processesWithMarker } from "./helpers/processes.js";
import { tempDir, withConfig } from "./helpers/tmp.js";
import { FAKE_MIRRORD, nothingLeft, runUp, startUp } from "./helpers/up.js";

const TWO = `services:\n  a-long-name:\n    run: {type: local, command: [bash, -c, 'echo hello; echo oops >&2']}\n  b:\n    run: {type: local, command: [bash, -c, 'sleep 0.2; echo world']}\n`;
const ESC = String.fromCharCode(27);

describe("up options", { timeout: 120_000 }, () => {
  it("names are padded to the longest; app lines are `name | line`", async () => {
    const { stdout } = await runUp(TWO, { args: ["--keep-going"] });
    assert.match(stdout, /^a-long-name \| hello$/m);
    assert.match(stdout, /^b {11}\| world$/m);
    assert.match(stdout, /^a-long-name \| oops$/m);
  });

  it("--no-log-prefix prints application lines bare", async () => {
    const { stdout } = await runUp(TWO, { args: ["--keep-going", "--no-log-prefix"] });
    assert.match(stdout, /^hello$/m);
    assert.match(stdout, /^world$/m);
    assert.match(stdout, /^b +▸ exited with code 0$/m);
  });

  it("--timestamps adds an ISO time after the prefix", async () => {
    const { stdout } = await runUp(TWO, { args: ["--keep-going", "--timestamps"] });
    assert.match(stdout, /^a-long-name \| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z hello$/m);
  });

  it("no colour when piped; FORCE_COLOR turns it on; NO_COLOR and --no-color win", async () => {
    assert.doesNotMatch((await runUp(TWO, { args: ["--keep-going"] })).stdout, new RegExp(ESC));
    const forced = (await runUp(TWO, { args: ["--keep-going"], env: { FORCE_COLOR: "1" } })).stdout;
    assert.ok(forced.includes(`${ESC}[36ma-long-name${ESC}[39m`), "first name in cyan");
    assert.ok(forced.includes(`${ESC}[33mb          ${ESC}[39m`), "second name in yellow");
    assert.ok(forced.includes(`${ESC}[31m|${ESC}[39m oops`), "stderr lines get a red bar");
    assert.doesNotMatch(forced, new RegExp(`${ESC}\\[31m(a-long-name|b )`), "red is never a service colour");
    const noColor = (await runUp(TWO, { args: ["--keep-going"], env: { FORCE_COLOR: "1", NO_COLOR: "1" } }))
      .stdout;
    assert.doesNotMatch(noColor, new RegExp(ESC));
    const flag = (await runUp(TWO, { args: ["--keep-going", "--no-color"], env: { FORCE_COLOR: "1" } }))
      .stdout;
    assert.doesNotMatch(flag, new RegExp(ESC));
  });

  it("colours follow sorted names, so they are the same on every run", async () => {
    const config = `services:\n  zz: {run: {type: local, command: ["true"]}}\n  aa: {run: {type: local, command: ["true"]}}\n`;
    const { stdout } = await runUp(config, { args: ["--keep-going"], env: { FORCE_COLOR: "1" } });
    assert.ok(stdout.includes(`${ESC}[36maa${ESC}[39m`));
    assert.ok(stdout.includes(`${ESC}[33mzz${ESC}[39m`));
  });

  it("a missing mirrord is reported with the install link before anything starts", async () => {
    const dir = withConfig(
      `services:\n  api:\n    target: {path: deployment/api}\n    run: {command: [sleep, "1"]}\n`,
    );
    const marker = newMarker();
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [...BIN_ARGS, "-k", "k"],
        {
          cwd: dir,
          env: {
            PATH: "/usr/bin:/bin",
            TMPDIR: dir,
            MIRRORD_BIN: "/nonexistent/mirrord",
            [MARKER_VAR]: marker,
          },
        },
        (error, _out, stderr) =>
          resolve({ code: Number((error as { code?: number } | null)?.code ?? 0), stderr }),
      ),
    );
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /mirrord was not found \(MIRRORD_BIN=\/nonexistent\/mirrord is not an executable file\)/,
    );
    assert.match(r.stderr, /https:\/\/github\.com\/metalbear-co\/mirrord/);
    assert.deepEqual(processesWithMarker(marker), []);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith("mirrord-up-config-")),
      [],
    );
  });

  it("--mirrord-bin beats MIRRORD_BIN", async () => {
    const { code } = await runUp(
      `services:\n  api:\n    target: {path: deployment/api}\n    run: {command: ["true"]}\n`,
      {
        args: ["--mirrord-bin", FAKE_MIRRORD],
        env: { MIRRORD_BIN: "/nonexistent" },
      },
    );
    assert.equal(code, 0);
  });

  it("a missing program is reported at its line before anything starts", async () => {
    const { code, stderr, run } = await runUp(
      `services:\n  api:\n    run: {type: local, command: [no-such-program-x]}\n`,
    );
    assert.equal(code, 2);
    assert.match(
      stderr,
      /^mirrord-up\.yaml:3:34: error: services\.api\.run\.command: program "no-such-program-x" was not found on PATH/m,
    );
    assert.deepEqual(run.mirrordLog(), []);
  });

  it("an invalid --timeout is a usage error", async () => {
    const { code, stderr } = await runUp(TWO, { args: ["-t", "soon"] });
    assert.equal(code, 2);
    assert.match(stderr, /expected a number of seconds/);
  });

  it("`up` starts a service named like a command", async () => {
    const { code, stdout } = await runUp(
      `services:\n  config:\n    run: {type: local, command: [echo, hi]}\n`,
      {
        args: ["up", "config"],
      },
    );
    assert.equal(code, 0);
    assert.match(stdout, /config \| hi/);
  });

  it("writing into a closed pipe (| head) ends mirrord-up cleanly and stops the sessions", async () => {
    const dir = withConfig(
      `services:\n  chatty:\n    run: {type: local, command: [bash, -c, 'while true; do echo chatter; done']}\n  quiet:\n    run: {type: local, command: [sleep, "3600"]}\n`,
    );
    const marker = newMarker();
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        "bash",
        [
          "-c",
          `node ${JSON.stringify(BIN)} -k k 2>stderr.txt | head -n 5; echo "status \${PIPESTATUS[0]}"; cat stderr.txt`,
        ],
        { cwd: dir, env: { PATH: process.env.PATH, TMPDIR: tempDir(), [MARKER_VAR]: marker } },
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
      ),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /status 0\n/);
    assert.doesNotMatch(r.stdout, /EPIPE|Error|at .*:\d+:\d+/);
    await nothingLeft(marker);
  });

  it("--ui runs `mirrord ui` beside the sessions and stops it with them", async () => {
    const run = startUp(
      `services:\n  api:\n    target: {path: deployment/api}\n    run: {command: [sleep, "3600"]}\n`,
      {
        args: ["--ui"],
      },
    );
    await run.waitForOutput("1 session ready");
    assert.ok(
      processesWithMarker(run.marker).some((p) => /^mirrord-ui /.test(p.cmdline)),
      "mirrord ui is running",
    );
    run.child.kill("SIGINT");
    assert.equal((await run.exited).code, 0);
    await nothingLeft(run.marker);
  });

  it("--ui: a failing `mirrord ui` is a warning, and the sessions carry on", async () => {
    const run = startUp(
      `services:\n  api:\n    target: {path: deployment/api}\n    run: {command: [sleep, "3600"]}\n`,
      {
        args: ["--ui"],
        env: { FAKE_MIRRORD_UI_FAIL: "port 59281 in use" },
      },
    );
    await run.waitForOutput(
      "mirrord ui exited with code 1: Error: port 59281 in use; carrying on without it",
    );
    await run.waitForOutput("1 session ready");
    run.child.kill("SIGINT");
    assert.equal((await run.exited).code, 0);
    await nothingLeft(run.marker);
  });

  it("a target to infer without any kubeconfig is an error before anything starts", async () => {
    const { code, stderr, run } = await runUp(`services:\n  api:\n    run: {command: [sleep, "1"]}\n`);
    assert.equal(code, 2);
    assert.match(stderr, /error: no kubeconfig found/);
    assert.deepEqual(run.mirrordLog(), []);
  });
});
