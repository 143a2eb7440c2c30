/**
 * What `config`, `validate` and `schema` write, run through the real binary: `--output-dir`
 * creates each file anew and never writes through a link or into a file it did not create;
 * output that cannot be written is an error, not a silent success.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  chmodSync,
  closeSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BIN_ARGS } from "./helpers/paths.js";
import { withConfig } from "./helpers/tmp.js";
import { NOBODY, whyUserCannotRunCli } from "./helpers/users.js";

const CONFIG = `services:
  api:
    target: {path: deployment/api}
    env: {override: {TOKEN: secret-value}}
    run: {command: [node, server.js]}
  web:
    target: none
    run: {command: [npm, start]}
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the binary; `stdout` may be a file descriptor (e.g. /dev/full opened for writing). */
function cli(
  args: string[],
  cwd: string,
  options: { stdout?: number; uid?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const key = args[0] === "schema" ? [] : ["-k", "k"];
    const child = spawn(process.execPath, [...BIN_ARGS, ...args, ...key], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: ["ignore", options.stdout ?? "pipe", "pipe"],
      ...(options.uid !== undefined && { uid: options.uid, gid: options.uid }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const STACK_FRAME = /\n\s+at .+[:(]\d+:\d+\)?/;

function assertUsageError(r: Run, says: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, says);
  assert.doesNotMatch(r.stderr, /internal error/);
  assert.doesNotMatch(r.stderr, STACK_FRAME);
}

describe("config --output-dir", { timeout: 60_000 }, () => {
  it("never writes through a link named <service>.json: the file it points to keeps content and mode", async () => {
    const dir = withConfig(CONFIG);
    writeFileSync(join(dir, "precious.txt"), "precious\n");
    chmodSync(join(dir, "precious.txt"), 0o644);
    mkdirSync(join(dir, "out"));
    symlinkSync("../precious.txt", join(dir, "out", "api.json"));
    const r = await cli(["config", "--output-dir", "out"], dir);
    assertUsageError(r, /out\/api\.json exists and is not a regular file \(it is a symbolic link\)/);
    assert.equal(readFileSync(join(dir, "precious.txt"), "utf8"), "precious\n");
    assert.equal(statSync(join(dir, "precious.txt")).mode & 0o777, 0o644);
    assert.ok(lstatSync(join(dir, "out", "api.json")).isSymbolicLink(), "the link itself is left alone");
    assert.deepEqual(readdirSync(join(dir, "out")), ["api.json"], "nothing else was written");
  });

  it("replaces an existing file with a new one (new inode, mode 0600), never writing into the old one", async () => {
    const dir = withConfig(CONFIG);
    mkdirSync(join(dir, "out"));
    const old = join(dir, "out", "api.json");
    writeFileSync(old, "old contents\n");
    chmodSync(old, 0o666);
    // A second name for the old file: whatever is written into it shows here.
    const watcher = join(dir, "watcher");
    linkSync(old, watcher);
    const inode = statSync(old).ino;
    const r = await cli(["config", "--output-dir", "out"], dir);
    assert.equal(r.code, 0, r.stderr);
    const now = statSync(old);
    assert.notEqual(now.ino, inode, "a new file took the name");
    assert.equal(now.mode & 0o777, 0o600);
    assert.match(readFileSync(old, "utf8"), /secret-value/);
    assert.equal(readFileSync(watcher, "utf8"), "old contents\n", "the old file received nothing");
    assert.equal(statSync(watcher).mode & 0o777, 0o666, "and kept its mode");
    assert.deepEqual(
      readdirSync(join(dir, "out")).sort(),
      ["api.json", "web.json"],
      "no temporary file left",
    );
  });

  it("a FIFO or a directory named <service>.json is a usage error (exit 2), and nothing is written", async () => {
    const dir = withConfig(CONFIG);
    mkdirSync(join(dir, "out"));
    mkdirSync(join(dir, "out", "api.json"));
    const mkfifo = spawn("mkfifo", [join(dir, "out", "web.json")]);
    await new Promise((resolve) => mkfifo.on("close", resolve));
    const r = await cli(["config", "--output-dir", "out"], dir);
    assertUsageError(r, /api\.json exists and is not a regular file \(it is a directory\)/);
    assert.match(r.stderr, /web\.json exists and is not a regular file \(it is a named pipe \(FIFO\)\)/);
    assert.ok(statSync(join(dir, "out", "web.json")).isFIFO());
    assert.deepEqual(readdirSync(join(dir, "out", "api.json")), []);
  });

  it("a directory that is a symbolic link is refused, unless written with a trailing slash", async () => {
    const dir = withConfig(CONFIG);
    mkdirSync(join(dir, "real"));
    symlinkSync("real", join(dir, "link"));
    const refused = await cli(["config", "--output-dir", "link"], dir);
    assertUsageError(refused, /--output-dir link is a symbolic link \(to real\)/);
    assert.match(refused.stderr, /--output-dir link\//);
    assert.deepEqual(readdirSync(join(dir, "real")), []);
    const explicit = await cli(["config", "--output-dir", "link/"], dir);
    assert.equal(explicit.code, 0, explicit.stderr);
    assert.deepEqual(readdirSync(join(dir, "real")).sort(), ["api.json", "web.json"]);
  });

  it("a link among the parent directories is followed: it is part of the path the user typed", async () => {
    const dir = withConfig(CONFIG);
    mkdirSync(join(dir, "real"));
    symlinkSync("real", join(dir, "parent"));
    const r = await cli(["config", "--output-dir", "parent/out"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(join(dir, "real", "out")).sort(), ["api.json", "web.json"]);
    assert.equal(
      statSync(join(dir, "real", "out")).mode & 0o777,
      0o700,
      "a missing directory is created 0700",
    );
  });

  it("a directory that cannot be written is an error with its cause and a hint (exit 2)", async (t) => {
    // root may write anywhere: run as `nobody` then, for whom the directory is read-only.
    const asRoot = process.getuid?.() === 0;
    const unreachable = asRoot ? whyUserCannotRunCli(NOBODY) : undefined;
    if (unreachable) return t.skip(unreachable);
    const dir = withConfig(CONFIG);
    const out = join(dir, "readonly");
    mkdirSync(out);
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "mirrord-up.yaml"), 0o644);
    chmodSync(out, 0o555);
    const r = await cli(["config", "--output-dir", "readonly"], dir, asRoot ? { uid: NOBODY } : {});
    assertUsageError(r, /cannot write .*readonly\/api\.json: permission denied \(EACCES\)/);
    assert.match(r.stderr, /hint: choose a directory you can write to/);
    assert.deepEqual(readdirSync(out), []);
  });
});

describe("output that cannot be written", { timeout: 60_000 }, () => {
  for (const args of [["config"], ["config", "--format", "json"], ["validate"], ["schema"]]) {
    it(`${args.join(" ")} > /dev/full exits non-zero and says why on stderr`, async () => {
      const dir = withConfig(CONFIG);
      const full = openSync("/dev/full", "w");
      try {
        const r = await cli(args, dir, { stdout: full });
        assertUsageError(r, /cannot write the output: no space left on device \(ENOSPC\)/);
      } finally {
        closeSync(full);
      }
    });
  }
});
