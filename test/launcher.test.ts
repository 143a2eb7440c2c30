/**
 * The launcher that holds a session's program until mirrord-up lets it run (src/run/launcher.ts),
 * on real processes: nothing ever runs after an abort, a released program runs, and a `sh -c`
 * script behind the launcher sees exactly what `sh -c` run directly gives it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { launchHeld, NOT_RELEASED_STATUS } from "../src/run/launcher.js";
import { tempDir } from "./helpers/tmp.js";

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
}

function held(file: string, args: string[], cwd = tempDir(), path = process.env.PATH) {
  const launched = launchHeld(file, args, { cwd, env: { PATH: path } });
  let stdout = "";
  let stderr = "";
  launched.child.stdout?.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  launched.child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const ended = new Promise<Ended>((resolve) =>
    launched.child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { ...launched, ended, cwd };
}

/** What `sh ARGS` run directly prints and exits with. */
function direct(args: string[]): Ended {
  const r = spawnSync("sh", args, { encoding: "utf8", env: { PATH: process.env.PATH } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the launcher", { timeout: 60_000 }, () => {
  const scripts: string[][] = [
    ["-c", 'printf "%s|" "$0" "$@"; echo', "name", "a b", "", "*"],
    ["-c", 'printf "%s|" "$0" "$#"; echo'],
    ["-c", "echo one\nif", "named"],
    ["-c", "echo $LINENO; exit 7"],
    ["-c", "ls /proc/self/fd | wc -l"],
    ["-c", ""],
    ["-c", "-x"],
    ["-c", "+x", "echo no"],
  ];
  for (const args of scripts) {
    it(`sh ${JSON.stringify(args)} behaves as it does without the launcher`, async () => {
      const run = held("sh", args);
      run.release();
      assert.deepEqual(await run.ended, direct(args));
    });
  }

  for (const [file, args] of [
    ["sh", ["-c", "touch ran"]],
    ["touch", ["ran"]],
  ] as const) {
    it(`\`${file} ${args.join(" ")}\` never runs when aborted`, async () => {
      const run = held(file, [...args]);
      run.abort();
      assert.equal((await run.ended).code, NOT_RELEASED_STATUS);
      assert.equal(existsSync(join(run.cwd, "ran")), false);
    });

    it(`\`${file} ${args.join(" ")}\` runs once released`, async () => {
      const run = held(file, [...args]);
      run.release();
      assert.equal((await run.ended).code, 0);
      assert.equal(existsSync(join(run.cwd, "ran")), true);
    });
  }

  it("runs the program with stdin from /dev/null, and keeps no descriptor of a released gate", async () => {
    const open = () => readdirSync("/proc/self/fd").length;
    const before = open();
    const runs = Array.from({ length: 5 }, () => held("readlink", ["/proc/self/fd/0"]));
    for (const run of runs) run.release();
    for (const run of runs) assert.deepEqual(await run.ended, { code: 0, stdout: "/dev/null\n", stderr: "" });
    assert.equal(open(), before);
  });

  // One shell instead of two: the script runs in the shell that waited at the gate (its command
  // line holds the gate), not in a second `sh` the launcher exec'd (whose command line would not).
  for (const file of ["sh", "/bin/sh"]) {
    it(`a \`${file} -c\` script runs in the launcher's own shell, released, stdin from /dev/null`, async () => {
      const run = held(file, [
        "-c",
        "tr '\\0' ' ' < /proc/$$/cmdline; echo; echo $0; readlink /proc/$$/fd/0",
      ]);
      run.release();
      const ended = await run.ended;
      assert.equal(run.child.spawnargs[0], file);
      assert.equal(ended.code, 0);
      const [cmdline, name, stdin] = ended.stdout.split("\n");
      assert.match(cmdline as string, /^\S+ -c IFS= read -r mirrord_up_gate /);
      assert.equal(name, file);
      assert.equal(stdin, "/dev/null");
    });
  }

  it("a `sh` other than /bin/sh first on PATH is the one that runs the script", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "sh"), '#!/bin/sh\necho "other shell: $*"\n');
    chmodSync(join(dir, "sh"), 0o755);
    const run = held("sh", ["-c", "echo real"], dir, `${dir}:${process.env.PATH}`);
    run.release();
    const ended = await run.ended;
    assert.equal(ended.stdout, "other shell: -c echo real\n");
    assert.equal(ended.code, 0);
  });
});
