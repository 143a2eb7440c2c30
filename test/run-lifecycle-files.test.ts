/**
 * `run.working_dir` and `env_file` on real processes: paths are relative to the config file (not
 * to where mirrord-up runs), a local service gets the env file's variables (its env.override
 * beats them), a mirrord session gets the file through mirrord's own `feature.env.env_file`, and
 * a missing directory or file stops everything before it starts.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "./helpers/tmp.js";
import { nothingLeft, runUp, startUp } from "./helpers/up.js";

/** A project directory elsewhere than mirrord-up's working directory. */
function project(config: string): string {
  const dir = tempDir();
  mkdirSync(join(dir, "app"));
  mkdirSync(join(dir, "conf"));
  writeFileSync(
    join(dir, "conf", "app.env"),
    "# app settings\nexport FROM_FILE=file\nBOTH=file\nINHERITED=file\n",
  );
  writeFileSync(join(dir, "mirrord-up.yaml"), config);
  return dir;
}

describe("working_dir and env_file", { timeout: 180_000 }, () => {
  it("run in working_dir with the env file's variables; env.override beats the file, the file beats mirrord-up's environment", async () => {
    const dir = project(`
services:
  web:
    env_file: conf/app.env
    env: {override: {BOTH: override}}
    run: {type: local, working_dir: app, command: [bash, -c, 'echo "cwd=$PWD from=$FROM_FILE both=$BOTH inherited=$INHERITED"; exec sleep 3600']}
  api:
    target: {path: deployment/api}
    env_file: conf/app.env
    run: {working_dir: app, command: [bash, -c, 'echo "api cwd=$PWD"; exec sleep 3600']}
`);
    const run = startUp("services: {unused: {run: {command: [x]}}}\n", {
      args: ["-f", join(dir, "mirrord-up.yaml")],
      env: { INHERITED: "environment" },
    });
    await run.waitForOutput("all 2 services ready");
    await run.waitForOutput("api cwd=");
    await run.waitForOutput("web | cwd=");
    const out = run.stdout().toString();
    assert.ok(out.includes(`web | cwd=${join(dir, "app")} from=file both=override inherited=file`), out);
    assert.ok(out.includes(`api | api cwd=${join(dir, "app")}`), out);
    const [record] = run.mirrordLog();
    assert.equal(
      (record?.config.feature?.env as { env_file?: string } | undefined)?.env_file,
      join(dir, "conf", "app.env"),
      "mirrord reads the env file itself, by its absolute path",
    );
    run.child.kill("SIGINT");
    await run.exited;
    await nothingLeft(run.marker);
  });

  it("a missing working directory or env file: located errors, exit 2, nothing started", async () => {
    const dir = project(`
services:
  web:
    env_file: conf/missing.env
    run: {type: local, working_dir: nowhere, command: [bash, -c, 'touch started']}
`);
    const { code, stderr, run } = await runUp("services: {unused: {run: {command: [x]}}}\n", {
      args: ["-f", join(dir, "mirrord-up.yaml")],
    });
    assert.equal(code, 2);
    assert.match(
      stderr,
      /mirrord-up\.yaml:4:\d+: error: services\.web\.env_file: the env file does not exist/,
    );
    assert.match(
      stderr,
      /mirrord-up\.yaml:5:\d+: error: services\.web\.run\.working_dir: the working directory does not exist/,
    );
    assert.equal(stderr.match(/error:/g)?.length, 2);
    assert.equal(run.mirrordLog().length, 0);
    await nothingLeft(run.marker);
  });
});
