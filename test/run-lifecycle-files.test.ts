/**
 * `run.working_dir` and `env_file` on real processes: paths are relative to the config file (not
 * to where mirrord-up runs), a local service gets the env file's variables (its env.override
 * beats them), a mirrord session gets the file through mirrord's own `feature.env.env_file`, and
 * a missing directory or file stops everything before it starts.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runBin } from "./helpers/ps.js";
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

/** A script that says where it runs, then sleeps. */
const HELLO = '#!/bin/sh\necho "hello from $PWD"\nexec sleep 3600\n';

describe("where services run", { timeout: 180_000 }, () => {
  it("by default in the file's directory (found from a subdirectory): a relative program and env.env_file resolve there", async () => {
    const run = startUp(
      `services:
  web:
    run: {type: local, command: [./bin/hello.sh]}
  api:
    target: {path: deployment/api}
    env: {env_file: conf/api.env}
    run: {command: [./bin/hello.sh]}
`,
      { cwd: "work", files: { "bin/hello.sh": HELLO, "conf/api.env": "A=1\n" } },
    );
    chmodSync(join(run.dir, "bin", "hello.sh"), 0o755);
    await run.waitForOutput(`web | hello from ${run.dir}\n`);
    await run.waitForOutput(`api | hello from ${run.dir}\n`);
    assert.match(run.stderr(), new RegExp(`^mirrord-up: using ${join(run.dir, "mirrord-up.yaml")}\n`));
    const [record] = run.mirrordLog();
    assert.equal(
      (record?.config.feature?.env as { env_file?: string } | undefined)?.env_file,
      join(run.dir, "conf", "api.env"),
      "mirrord gets env.env_file as an absolute path",
    );
    // A client command from the same subdirectory finds the same run.
    const ps = await runBin(["ps", "--format", "json"], {
      cwd: join(run.dir, "work"),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: run.dir },
    });
    assert.equal(ps.code, 0, ps.stderr);
    assert.deepEqual(
      (JSON.parse(ps.stdout) as { name: string }[]).map((s) => s.name),
      ["api", "web"],
    );
    run.child.kill("SIGINT");
    await run.exited;
    await nothingLeft(run.marker);
  });

  it("--project-directory . runs them in the current directory", async () => {
    const run = startUp("services:\n  web:\n    run: {type: local, command: [./bin/hello.sh]}\n", {
      cwd: "work",
      args: ["--project-directory", "."],
      files: { "work/bin/hello.sh": HELLO },
    });
    chmodSync(join(run.dir, "work", "bin", "hello.sh"), 0o755);
    await run.waitForOutput(`web | hello from ${join(run.dir, "work")}\n`);
    run.child.kill("SIGINT");
    await run.exited;
    await nothingLeft(run.marker);
  });

  it("a service that dies at once because a path was not found gets a hint naming where it ran", async () => {
    const { code, stdout, run } = await runUp(
      `services:
  node-app:
    run: {type: local, command: [node, app/main.js]}
  script:
    run: {type: local, command: [bash, -c, 'exec ./nothing.sh']}
  plain:
    run: {type: local, command: [bash, -c, 'echo boom; exit 3']}
`,
      { cwd: "work", args: ["--keep-going"], files: { "work/app/main.js": "" } },
    );
    // --keep-going: each ends on its own; the run's status is the first failure's.
    assert.ok(code === 1 || code === 127 || code === 3, stdout);
    const dir = run.dir;
    const status = (name: string, text: string) =>
      new RegExp(`^${name} +▸ ${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m");
    assert.match(
      stdout,
      status(
        "node-app",
        `hint: it ran in ${dir}; \`app/main.js\` exists relative to the current directory (${join(dir, "work")}), not there: set \`run.working_dir\`, or run mirrord-up with \`--project-directory .\``,
      ),
    );
    assert.match(stdout, status("script", "exited with code 127"));
    assert.match(
      stdout,
      status("script", `hint: a path was not found? it ran in ${dir}, where its relative paths start`),
    );
    assert.match(stdout, status("plain", "exited with code 3"));
    assert.doesNotMatch(stdout, /plain +▸ hint/);
    await nothingLeft(run.marker);
  });
});
