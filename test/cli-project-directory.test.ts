/**
 * Where the file is found and where its paths start: without -f, mirrord-up.yaml is looked for in
 * the current directory (or --project-directory), then in each parent, as compose does; one found
 * in a parent is named on stderr and must be yours or root's and writable by no one else.
 * `--project-directory` is where relative paths of the file start. Real files, the CLI in-process.
 */
import assert from "node:assert/strict";
import { chmodSync, chownSync, lchownSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCliCaptured } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";
import { NOBODY } from "./helpers/users.js";

const CONFIG = "services:\n  web: {run: {type: local, command: [sleep, '1']}}\n";

/** A directory with mirrord-up.yaml, and a/b below it (where the commands run). */
function tree(config = CONFIG): { top: string; deep: string } {
  const top = tempDir();
  writeFileSync(join(top, "mirrord-up.yaml"), config);
  const deep = join(top, "a", "b");
  mkdirSync(deep, { recursive: true });
  return { top, deep };
}

const cli = (argv: string[], cwd: string) =>
  runCliCaptured(argv, {
    cwd,
    env: { PATH: process.env.PATH, MIRRORD_UP_RUNTIME_DIR: join(cwd, ".no-runtime-dir") },
  });

const notRoot = process.getuid?.() !== 0 ? "changing a file's owner needs root" : false;

describe("finding the config file", () => {
  it("without -f, a file in a parent is used and named on stderr; in the current directory, silently", async () => {
    const { top, deep } = tree();
    const below = await cli(["validate", "-k", "k"], deep);
    assert.equal(below.code, 0, below.stderr);
    assert.equal(below.stderr, `mirrord-up: using ${join(top, "mirrord-up.yaml")}\n`);
    assert.match(below.stdout, new RegExp(`^${join(top, "mirrord-up.yaml")}: ok, 1 service`));
    const here = await cli(["validate", "-k", "k"], top);
    assert.equal(here.code, 0, here.stderr);
    assert.equal(here.stderr, "");
    assert.match(here.stdout, /^mirrord-up\.yaml: ok/);
  });

  it("the nearest file wins", async () => {
    const { top, deep } = tree();
    writeFileSync(
      join(top, "a", "mirrord-up.yaml"),
      "services:\n  near: {run: {type: local, command: [sleep, '1']}}\n",
    );
    const r = await cli(["validate", "-k", "k"], deep);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, `mirrord-up: using ${join(top, "a", "mirrord-up.yaml")}\n`);
    assert.match(r.stdout, /\(near\)/);
  });

  it("a group- or world-writable file in a parent is refused, naming it; -f, or the current directory, takes it", async () => {
    for (const [mode, who] of [
      [0o664, "its group"],
      [0o646, "every user"],
    ] as const) {
      const { top, deep } = tree();
      const file = join(top, "mirrord-up.yaml");
      chmodSync(file, mode);
      const r = await cli(["validate", "-k", "k"], deep);
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `^${file}: error: refusing this config file, found in a parent directory: ${who} can write to it \\(mode 0${mode.toString(8)}\\)`,
        ),
      );
      assert.match(r.stderr, /hint: another user could make it run commands as you: .*chmod go-w/);
      assert.doesNotMatch(r.stderr, /mirrord-up: using/);
      assert.equal(r.stdout, "");
      const named = await cli(["validate", "-k", "k", "-f", file], deep);
      assert.equal(named.code, 0, named.stderr);
      const here = await cli(["validate", "-k", "k"], top);
      assert.equal(here.code, 0, here.stderr);
    }
  });

  it("a file in a parent owned by another user, or a link to one of yours that another user made, is refused", {
    skip: notRoot,
  }, async () => {
    const { top, deep } = tree();
    const file = join(top, "mirrord-up.yaml");
    chownSync(file, NOBODY, NOBODY);
    const owned = await cli(["validate", "-k", "k"], deep);
    assert.equal(owned.code, 2);
    assert.match(
      owned.stderr,
      new RegExp(
        `^${file}: error: refusing .*: it is owned by uid ${NOBODY}, not by you \\(uid 0\\) or root`,
      ),
    );
    assert.match(owned.stderr, /hint: .*if you trust it, name it with -f/);

    const other = tree();
    const mine = join(other.top, "mine.yaml");
    writeFileSync(mine, CONFIG);
    const link = join(other.top, "a", "mirrord-up.yaml");
    symlinkSync(mine, link);
    lchownSync(link, NOBODY, NOBODY);
    const linked = await cli(["validate", "-k", "k"], other.deep);
    assert.equal(linked.code, 2);
    assert.match(
      linked.stderr,
      new RegExp(`^${link}: error: .*it is a symbolic link owned by uid ${NOBODY}`),
    );
  });

  it("control commands look for the file the same way", async () => {
    const { top, deep } = tree();
    const r = await cli(["ps"], deep);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^mirrord-up: using ${join(top, "mirrord-up.yaml")}\n`));
    assert.match(r.stderr, new RegExp(`no mirrord-up is running for ${join(top, "mirrord-up.yaml")}`));
  });
});

describe("--project-directory", () => {
  it("without -f, the file is looked for there; given before or after the command", async () => {
    const { top } = tree();
    const cwd = tempDir();
    for (const argv of [
      ["validate", "-k", "k", "--project-directory", top],
      ["--project-directory", top, "validate", "-k", "k"],
    ]) {
      const r = await cli(argv, cwd);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, `mirrord-up: using ${join(top, "mirrord-up.yaml")}\n`);
    }
  });

  it("relative paths of the file start there (the flag itself is relative to the current directory), and paths handed to mirrord are absolute", async () => {
    const root = tempDir();
    const project = join(root, "project");
    mkdirSync(join(project, "conf"), { recursive: true });
    writeFileSync(join(project, "conf", "web.env"), "A=1\n");
    const cwd = join(root, "cwd");
    mkdirSync(cwd);
    const file = join(root, "files", "mirrord-up.yaml");
    mkdirSync(join(root, "files"));
    writeFileSync(
      file,
      `services:
  web:
    env_file: conf/web.env
    run: {type: local, command: [x]}
  api:
    target: {path: deployment/api}
    env: {env_file: conf/api.env}
    run: {command: [x]}
`,
    );
    const argv = ["config", "-k", "k", "--format", "json", "--no-resolve", "-f", file];
    const r = await cli([...argv, "--project-directory", "../project"], cwd);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.services.web.lifecycle.env_file, join(project, "conf", "web.env"));
    assert.equal(doc.services.api.config.feature.env.env_file, join(project, "conf", "api.env"));
    // Without it, they start at the file's directory, where conf/web.env does not exist.
    const without = await cli(argv, cwd);
    assert.equal(without.code, 2);
    assert.match(without.stderr, /services\.web\.env_file: the env file does not exist/);
  });

  it("a directory that does not exist, or a file, is an error", async () => {
    const { top } = tree();
    const missing = await cli(["validate", "-k", "k", "--project-directory", "nowhere"], top);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error: --project-directory: nowhere does not exist/);
    const file = await cli(["validate", "-k", "k", "--project-directory", "mirrord-up.yaml"], top);
    assert.equal(file.code, 2);
    assert.match(file.stderr, /^error: --project-directory: mirrord-up\.yaml is not a directory/);
  });
});

describe("env.env_file", () => {
  it("is handed to mirrord as an absolute path, relative to the file's directory", async () => {
    const { top, deep } = tree(`services:
  api:
    target: {path: deployment/api}
    env: {env_file: conf/api.env}
    run: {command: [x]}
`);
    const r = await cli(["config", "-k", "k", "--format", "json", "--no-resolve"], deep);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).services.api.config.feature.env.env_file, join(top, "conf", "api.env"));
  });
});

describe("a program not found where it runs", () => {
  it("is named with that directory, and a fix is suggested when it exists relative to the current directory", async () => {
    const { top, deep } = tree("services:\n  web: {run: {type: local, command: [./bin/run.sh]}}\n");
    mkdirSync(join(deep, "bin"));
    writeFileSync(join(deep, "bin", "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
    const r = await cli(["up", "-k", "k"], deep);
    assert.equal(r.code, 2);
    assert.ok(
      r.stderr.includes(`error: services.web.run.command: program "./bin/run.sh" was not found in ${top}\n`),
      r.stderr,
    );
    assert.ok(
      r.stderr.includes(
        `hint: \`./bin/run.sh\` exists relative to the current directory (${deep}), not there: set \`run.working_dir\`, or run mirrord-up with \`--project-directory .\``,
      ),
      r.stderr,
    );
  });
});
