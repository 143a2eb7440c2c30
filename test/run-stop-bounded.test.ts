/**
 * Ctrl-C always ends mirrord-up, whatever its sessions and its own output do: a descendant that
 * left its process group and holds the pipes, a reader that stopped reading, a terminal that was
 * closed, a full disk. Asserted with real processes and the operating system's view of them.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stripVTControlCharacters } from "node:util";
import { BIN, BIN_ARGS } from "./helpers/paths.js";
import { killMarked, MARKER_VAR, newMarker, processesWithMarker } from "./helpers/processes.js";
import { tempDir } from "./helpers/tmp.js";
import { nothingLeft, startUp } from "./helpers/up.js";
import { waitUntil } from "./helpers/wait.js";

describe("Ctrl-C always ends", { timeout: 300_000 }, () => {
  for (const type of ["local", "exec"] as const) {
    it(`${type === "exec" ? "an exec" : "a local"} session whose descendant called setsid and holds the pipes is stopped, the descendant too`, async () => {
      const run = startUp(
        `services:\n  api:\n    ${type === "exec" ? "target: none\n    " : ""}run: {type: ${type}, command: [sh, -c, 'setsid sleep 3600 & echo up; sleep 3600']}\n`,
        { args: ["-t", "2"] },
      );
      await run.waitForOutput("api | up");
      // One sleep in the session's group, one that left it (its own group and session).
      await waitUntil(
        () => processesWithMarker(run.marker).filter((p) => p.cmdline === "sleep 3600").length === 2,
        60_000,
        "both sleeps",
      );
      run.child.kill("SIGINT");
      const { code } = await run.exited;
      assert.equal(code, 0, run.stderr());
      await nothingLeft(run.marker, 60_000);
    });
  }

  it("a crash is reported at once although a setsid descendant holds the pipes, and the descendant is stopped", async () => {
    // Before: the session ended only when the pipes closed, an hour later.
    const run = startUp(
      `services:\n  api:\n    run: {type: local, command: [sh, -c, 'setsid sleep 3600 & echo up; sleep 0.2; exit 3']}\n  web:\n    run: {type: local, command: [sleep, "3600"]}\n`,
      { args: ["-t", "2"] },
    );
    const { code } = await run.exited;
    assert.equal(code, 3, run.stdout().toString());
    assert.match(run.stdout().toString(), /api +▸ exited with code 3/);
    assert.match(run.stdout().toString(), /api \| up/);
    await nothingLeft(run.marker, 60_000);
  });

  it("with our output blocked (a reader that stopped reading), Ctrl-C still stops everything and exits", async () => {
    // `yes` fills every pipe; one copy ignores SIGTERM, so SIGKILL is needed after the timeout.
    const run = startUp(
      `services:\n  fast:\n    run: {type: local, command: [yes, "a line of output from fast"]}\n  stubborn:\n    run: {type: local, command: [bash, -c, 'trap "" TERM; exec yes "a line from stubborn"']}\n`,
      { args: ["-t", "1"] },
    );
    await run.waitForOutput("stubborn | a line from stubborn");
    run.child.stdout?.pause();
    // Let every pipe between the services and us fill up.
    await new Promise((r) => setTimeout(r, 1500));
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    assert.equal(code, 0);
    assert.match(run.stderr(), /output was blocked while stopping|output is not being read/);
    await nothingLeft(run.marker, 60_000);
  });

  it("a closed terminal (EIO on every write) stops the sessions and exits with its code, without a crash", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "mirrord-up.yaml"),
      `services:\n  web:\n    run: {type: local, command: [bash, -c, 'while :; do echo tick; sleep 0.05; done']}\n`,
    );
    const marker = newMarker();
    // The shell ignores SIGHUP so that it survives the hang-up and can record mirrord-up's status.
    const script = spawn(
      "script",
      [
        "-qefc",
        `bash -c 'trap "" HUP; ${process.execPath} ${BIN} -k k 2>err.txt; echo $? > code.txt'`,
        "/dev/null",
      ],
      {
        cwd: dir,
        env: { PATH: process.env.PATH, TERM: "xterm", TMPDIR: dir, [MARKER_VAR]: marker },
        stdio: ["pipe", "pipe", "ignore"],
      },
    );
    let out = "";
    script.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    try {
      await waitUntil(() => stripVTControlCharacters(out).includes("web | tick"), 60_000, "the first tick");
      // Closing the terminal: the pty's master side goes away with `script`.
      script.kill("SIGKILL");
      await waitUntil(() => existsSync(join(dir, "code.txt")), 60_000, "mirrord-up to exit");
      await waitUntil(() => readFileSync(join(dir, "code.txt"), "utf8").trim() !== "", 10_000, "its status");
      assert.equal(
        readFileSync(join(dir, "code.txt"), "utf8").trim(),
        "0",
        readFileSync(join(dir, "err.txt"), "utf8"),
      );
      assert.doesNotMatch(readFileSync(join(dir, "err.txt"), "utf8"), /Assertion|internal error/);
      await nothingLeft(marker, 60_000);
    } finally {
      killMarked(marker);
    }
  });

  it("a full disk on our output (ENOSPC) stops every session and exits 1 with a message", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "mirrord-up.yaml"),
      `services:\n  web:\n    run: {type: local, command: [bash, -c, 'echo hello; sleep 3600']}\n`,
    );
    const marker = newMarker();
    const full = openSync("/dev/full", "w");
    try {
      const child = spawn(process.execPath, [...BIN_ARGS, "-k", "k"], {
        cwd: dir,
        env: { PATH: process.env.PATH, TMPDIR: dir, [MARKER_VAR]: marker },
        stdio: ["ignore", full, "pipe"],
      });
      let err = "";
      child.stderr?.on("data", (c: Buffer) => {
        err += c.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      assert.equal(code, 1, err);
      assert.match(err, /cannot write output \(ENOSPC\); every service was stopped/);
      await nothingLeft(marker, 60_000);
    } finally {
      closeSync(full);
      killMarked(marker);
    }
  });

  it("more than ten sessions paused by a slow reader share one drain listener (no MaxListenersExceededWarning)", async () => {
    const names = Array.from({ length: 12 }, (_, i) => `s${String(i).padStart(2, "0")}`);
    const config = `services:\n${names
      .map(
        (n) =>
          `  ${n}:\n    run: {type: local, command: [bash, -c, 'for i in $(seq 20000); do echo "${n} line $i"; done']}\n`,
      )
      .join("")}`;
    const run = startUp(config, { args: ["--keep-going"] });
    await run.waitForOutput("starting 12 services");
    run.child.stdout?.pause();
    await new Promise((r) => setTimeout(r, 1500));
    run.child.stdout?.resume();
    const { code } = await run.exited;
    assert.equal(code, 0);
    assert.doesNotMatch(run.stderr(), /MaxListenersExceededWarning/);
    const lines = run.stdout().toString().split("\n");
    for (const n of names)
      assert.equal(lines.filter((l) => l.startsWith(`${n} | ${n} line `)).length, 20000, n);
  });
});
