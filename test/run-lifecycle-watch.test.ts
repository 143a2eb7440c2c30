/**
 * `up --watch`: edits of the file and of env files are applied like `mirrord-up reload`: only
 * services whose process would differ are restarted (checked on the pids the operating system and
 * `ps` report), added ones start, removed ones stop, and an invalid file changes nothing.
 */
import assert from "node:assert/strict";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isAlive } from "./helpers/processes.js";
import { ps } from "./helpers/ps.js";
import { nothingLeft, startUp, type UpRun } from "./helpers/up.js";

const config = (b: string, extra = "") => `
services:
  a:
    run: {type: local, command: [bash, -c, 'echo "a up $$"; exec sleep 3600']}
  b:
    restart: "no"
    run: {type: local, command: [bash, -c, 'echo "${b} $$"; exec sleep 3600']}
${extra}`;

/** Saves like an editor does: a new file renamed over the old one. */
function save(run: UpRun, name: string, text: string): void {
  const temporary = join(run.dir, `.${name}.swp`);
  writeFileSync(temporary, text);
  renameSync(temporary, join(run.dir, name));
}

async function pids(run: UpRun): Promise<Record<string, number | null>> {
  return Object.fromEntries((await ps(run)).map((r) => [r.name, r.pid]));
}

describe("up --watch", { timeout: 180_000 }, () => {
  it("an edit restarts only the changed service; added ones start, removed ones stop; an invalid file changes nothing", async () => {
    const run = startUp(config("b v1"), { args: ["--watch"] });
    await run.waitForOutput("all 2 services ready");
    await run.waitForOutput("b v1");
    const before = await pids(run);

    save(run, "mirrord-up.yaml", config("b v2"));
    await run.waitForOutput("mirrord-up: watch: mirrord-up.yaml changed, reloading");
    await run.waitForOutput(/b \| b v2 \d+/);
    const after = await pids(run);
    assert.equal(after.a, before.a, "a was not restarted");
    assert.ok(isAlive(before.a as number));
    assert.notEqual(after.b, before.b);
    assert.ok(!isAlive(before.b as number), "the old b was stopped");
    assert.match(run.stdout().toString(), /mirrord-up: reload: b: restarted \(pid \d+\)/);

    // Only the lifecycle changes (a restart policy): nothing is restarted, and the reload says so.
    save(run, "mirrord-up.yaml", config("b v2").replace('restart: "no"', "restart: on-failure"));
    await run.waitForOutput("mirrord-up: reload: b: restart changed, applies when it next ends");
    assert.deepEqual(await pids(run), after);

    // Written in place this time, and broken: reported in the stream, nothing changes.
    writeFileSync(join(run.dir, "mirrord-up.yaml"), `${config("b v3")}  c: {run: {comand: [x]}}\n`);
    await run.waitForOutput("mirrord-up: reload: the file is invalid, nothing changed");
    await run.waitForOutput(/mirrord-up\.yaml:\d+:\d+: error: .*unknown key "comand"/);
    assert.deepEqual(await pids(run), after);

    const withC = config(
      "b v2",
      "  c:\n    run: {type: local, command: [bash, -c, 'echo \"c up $$\"; exec sleep 3600']}\n",
    );
    save(run, "mirrord-up.yaml", withC);
    await run.waitForOutput(/c +\| c up \d+/);
    await run.waitForOutput("c: started (added)");
    const c = (await pids(run)).c as number;
    assert.ok(isAlive(c));
    // One start line, written before its output.
    assert.deepEqual(
      run
        .stdout()
        .toString()
        .split("\n")
        .filter((line) => /^c +▸ /.test(line)),
      [`c ▸ started: added to the file (pid ${c})`],
    );

    save(run, "mirrord-up.yaml", config("b v2"));
    await run.waitForOutput("c: stopped (removed)");
    assert.ok(!isAlive(c));
    assert.deepEqual(await pids(run), after);

    run.child.kill("SIGINT");
    const { code } = await run.exited;
    assert.equal(code, 0);
    await nothingLeft(run.marker);
  });

  it("an edit of an env file restarts the local service that reads it, and only that one", async () => {
    const run = startUp(
      `
services:
  greeter:
    env_file: greeter.env
    run: {type: local, command: [bash, -c, 'echo "greeting: $GREETING $$"; exec sleep 3600']}
  other:
    run: {type: local, command: [sleep, "3600"]}
`,
      { args: ["--watch"], files: { "greeter.env": "GREETING=hello\n" } },
    );
    await run.waitForOutput(/greeting: hello \d+/);
    await run.waitForOutput("all 2 services ready");
    const before = await pids(run);
    save(run, "greeter.env", "# changed\nGREETING='good morning'\n");
    await run.waitForOutput(/greeting: good morning \d+/);
    const after = await pids(run);
    assert.equal(after.other, before.other);
    assert.notEqual(after.greeter, before.greeter);
    // Named from the current directory, as the YAML file is.
    assert.match(run.stdout().toString(), /^mirrord-up: watch: greeter\.env changed, reloading$/m);
    run.child.kill("SIGINT");
    await run.exited;
    await nothingLeft(run.marker);
  });
});
