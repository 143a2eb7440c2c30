/**
 * Reading the config file is bounded: only regular files are read (a device never ends, a FIFO
 * blocks), each refused with a clear message and exit 2, never hanging or filling memory.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCliCaptured } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";

async function validate(file: string, cwd: string) {
  return runCliCaptured(["validate", "-f", file, "-k", "k"], { cwd, env: {} });
}

// A hang (reading a FIFO) fails by this timeout rather than blocking the run.
describe("reading the config file", { timeout: 20_000 }, () => {
  it("a character device (/dev/zero) is refused without reading it", async () => {
    const r = await validate("/dev/zero", tempDir());
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "/dev/zero: error: is not a regular file: it is a character device\n");
  });

  it("a FIFO is refused without opening it (which would wait for a writer)", async () => {
    const dir = tempDir();
    assert.equal(spawnSync("mkfifo", [join(dir, "fifo.yaml")]).status, 0);
    const r = await validate("fifo.yaml", dir);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "fifo.yaml: error: is not a regular file: it is a named pipe (FIFO)\n");
  });

  it("a directory is refused", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "conf"));
    const r = await validate("conf", dir);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "conf: error: is not a regular file: it is a directory\n");
  });

  it("a link counts as what it points to: a device is refused, a regular file is read", async () => {
    const dir = tempDir();
    symlinkSync("/dev/zero", join(dir, "device.yaml"));
    const r = await validate("device.yaml", dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not a regular file: it is a character device/);
    writeFileSync(join(dir, "real.yaml"), "services: {a: {run: {command: [x]}}}\n");
    symlinkSync("real.yaml", join(dir, "mirrord-up.yaml"));
    const ok = await validate("mirrord-up.yaml", dir);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it("a kubeconfig that is a device is refused the same way, not read forever", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "mirrord-up.yaml"), "services: {api: {run: {command: [x]}}}\n");
    const r = await runCliCaptured(["config", "-k", "k"], { cwd: dir, env: { KUBECONFIG: "/dev/zero" } });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /cannot read kubeconfig \/dev\/zero: is not a regular file: it is a character device/,
    );
  });
});
