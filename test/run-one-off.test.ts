/**
 * `mirrord-up run SERVICE [--steal] -- CMD...` with real processes and the stand-in mirrord: the
 * command's stdin, stdout, stderr and exit code are mirrord-up's; what it hands mirrord (read back
 * from the stand-in's log); that nothing is left behind however it ends (checked on /proc by the
 * marker every process of a test carries); and a real terminal's Ctrl-C, through `script`.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { sessionHeaderFilter } from "../src/plan/session-filter.js";
import { mirrordSchemaValidator } from "./helpers/mirrord-schema.js";
import { killMarked } from "./helpers/processes.js";
import { onTerminal } from "./helpers/terminal.js";
import { nothingLeft, startUp } from "./helpers/up.js";
import { waitUntil } from "./helpers/wait.js";

const CONFIG = `
services:
  api:
    target: {path: deployment/api}
    env: {override: {GREETING: hello from api}}
    messages: auto
    run: {command: [sleep, "3600"]}
  web:
    run: {type: local, command: [sh, -c, 'echo "web: $WEB_VAR"']}
    env: {override: {WEB_VAR: from the file}}
`;

/** `mirrord-up run ARGS` in a fresh directory holding CONFIG (and `files`). */
function oneOff(args: string[], options: { files?: Record<string, string>; stdin?: "pipe" } = {}) {
  const run = startUp(CONFIG, { args: ["-k", "tester", "run", ...args], ...options });
  return { ...run, stdout: () => run.stdout().toString() };
}

describe("run", { timeout: 120_000 }, () => {
  it("runs the command under the service's mirrord config, its stdin, stdout and exit code mirrord-up's", async () => {
    const run = oneOff(
      [
        "api",
        "--",
        "sh",
        "-c",
        'echo "greeting: $GREETING"; read line; echo "read: $line"; echo on-stderr >&2; exit 7',
      ],
      { stdin: "pipe" },
    );
    run.child.stdin?.end("typed\n");
    const { code } = await run.exited;
    assert.equal(code, 7, run.stderr());
    assert.equal(run.stdout(), "greeting: hello from api\nread: typed\n");
    assert.match(run.stderr(), /^mirrord-up: running sh -c .* as api, incoming traffic off$/m);
    assert.match(run.stderr(), /^on-stderr$/m);
    const [record, ...more] = run.mirrordLog();
    assert.ok(record);
    assert.equal(more.length, 0);
    assert.equal(record.sub, "exec");
    assert.deepEqual(record.command.slice(0, 2), ["sh", "-c"]);
    // Nothing is stolen, mirrored or split to it, and mirrord's progress stays off the output.
    const config = record.config as { feature: Record<string, unknown> };
    assert.deepEqual(config.feature.network, { incoming: { mode: "off" } });
    assert.equal(config.feature.split_queues, undefined);
    assert.equal(record.progressMode, "off");
    const validate = mirrordSchemaValidator();
    assert.ok(validate(record.config), JSON.stringify(validate.errors));
    // Private while it ran, gone once it ended.
    assert.equal(record.fileMode, 0o600);
    assert.equal(record.dirMode, 0o700);
    assert.ok(!existsSync(record.file), `${record.file} was removed`);
    await nothingLeft(run.marker);
  });

  it("--steal takes the service's incoming traffic as `up` would", async () => {
    const run = oneOff(["api", "--steal", "--", "true"]);
    assert.equal((await run.exited).code, 0, run.stderr());
    const [record] = run.mirrordLog();
    assert.ok(record);
    const { network } = (record.config as { feature: { network: { incoming: unknown } } }).feature;
    assert.deepEqual(network.incoming, {
      mode: "steal",
      http_filter: { header_filter: sessionHeaderFilter("tester") },
    });
    assert.match(run.stderr(), /as api, taking its incoming traffic$/m);
  });

  it("without a command, runs the service's own; a local service runs without mirrord", async () => {
    const run = oneOff(["web"]);
    assert.equal((await run.exited).code, 0, run.stderr());
    assert.equal(run.stdout(), "web: from the file\n");
    assert.deepEqual(run.mirrordLog(), []);
  });

  it("stops what the command left behind when it ends", async () => {
    const run = oneOff(["api", "--", "sh", "-c", "sleep 3601 & setsid sleep 3602 & echo started"]);
    assert.equal((await run.exited).code, 0, run.stderr());
    assert.equal(run.stdout(), "started\n");
    await nothingLeft(run.marker);
  });

  it("passes a SIGINT sent to mirrord-up alone on to the command", async () => {
    const run = oneOff([
      "api",
      "--",
      "sh",
      "-c",
      'trap "echo got INT; exit 4" INT; echo ready; sleep 3600 & wait',
    ]);
    await waitUntil(() => run.stdout().includes("ready"), 60_000, "the command to start");
    run.child.kill("SIGINT");
    assert.equal((await run.exited).code, 4, run.stderr());
    assert.equal(run.stdout(), "ready\ngot INT\n");
    await nothingLeft(run.marker);
  });

  it("on SIGTERM stops the command as `up` stops a session, and exits with its status", async () => {
    const run = oneOff(["api", "--", "sh", "-c", "echo ready; sleep 3600 & wait"]);
    await waitUntil(() => run.stdout().includes("ready"), 60_000, "the command to start");
    run.child.kill("SIGTERM");
    assert.equal((await run.exited).code, 143, run.stderr());
    await nothingLeft(run.marker);
  });

  it("killed outright, leaves it to the watchdog, which stops the command and removes the config", async () => {
    const run = oneOff(["api", "--", "sh", "-c", "echo ready; sleep 3600 & wait"]);
    await waitUntil(() => run.stdout().includes("ready"), 60_000, "the command to start");
    const file = run.mirrordLog()[0]?.file ?? "";
    assert.ok(existsSync(file));
    run.child.kill("SIGKILL");
    await run.exited;
    await nothingLeft(run.marker);
    await waitUntil(() => !existsSync(file), 30_000, `${file} to be removed`);
  });

  it("refuses an unknown service or a missing program before anything starts", async () => {
    const unknown = oneOff(["apii", "--", "true"]);
    assert.equal((await unknown.exited).code, 2);
    assert.match(unknown.stderr(), /unknown service "apii"/);
    assert.match(unknown.stderr(), /did you mean "api"\?/);
    const missing = oneOff(["api", "--", "no-such-program-here"]);
    assert.equal((await missing.exited).code, 2);
    assert.match(missing.stderr(), /program "no-such-program-here" was not found on PATH/);
    assert.deepEqual([...unknown.mirrordLog(), ...missing.mirrordLog()], []);
    assert.doesNotMatch(missing.stderr(), /\n\s+at /, "no stack trace");
  });
});

describe("run on a real terminal", { timeout: 120_000 }, () => {
  it("gives the command the terminal, and Ctrl-C reaches it; nothing is left", async () => {
    const program = `echo "tty: $([ -t 0 ] && echo yes || echo no)"
trap 'echo "got INT"; exit 4' INT
sleep 3600 &
read line
echo "read: $line"
wait
`;
    const t = onTerminal(CONFIG, { args: "run api -- bash prog.sh", files: { "prog.sh": program } });
    try {
      await waitUntil(
        () => t.output().includes("tty: yes"),
        60_000,
        () => `the command's first line:\n${t.output()}`,
      );
      t.child.stdin.write("typed\n");
      await waitUntil(
        () => t.output().includes("read: typed"),
        60_000,
        () => `the line typed:\n${t.output()}`,
      );
      t.child.stdin.write("\x03");
      assert.equal(await t.exited, 4, t.output());
      assert.match(t.output(), /got INT/);
      await nothingLeft(t.marker);
    } finally {
      killMarked(t.marker);
    }
  });
});
