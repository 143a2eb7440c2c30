/**
 * A flood without newlines holds at most MAX_LINE_BYTES beyond what a flood of lines holds: it
 * goes out in pieces of exactly that size, every byte once. Memory is the resident size that the
 * operating system reports (`VmRSS` in `/proc/<pid>/status`) for the real mirrord-up, read once a
 * flood is over and its output has been read, first after a flood of lines, then after one without
 * newlines, in the same run. Its stdout is a pipe, read as it comes, like a terminal or `| less`.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { MAX_LINE_BYTES } from "../src/run/output.js";
import { BIN } from "./helpers/paths.js";
import { killMarked, MARKER_VAR, newMarker, residentKiB } from "./helpers/processes.js";
import { tempDir } from "./helpers/tmp.js";
import { FAKE_MIRRORD } from "./helpers/up.js";
import { waitUntil } from "./helpers/wait.js";

const MiB = 1024 * 1024;
/** 64 times the bound; either flood takes about a second. */
const FLOOD_BYTES = 64 * MAX_LINE_BYTES;
const LOG_BYTES = MiB;
/**
 * What the runtime may add on top: every pipe read is a new Buffer, garbage once copied, which V8
 * collects less often when little else is allocated (no framing of lines). Measured in this test,
 * with V8's young generation kept at 2 MiB (NODE_OPTIONS below, so that what is measured is what
 * mirrord-up keeps, not how much garbage V8 lets pile up before a scavenge): up to 19 MiB above
 * the flood of lines (both cores busy), the held line included; before the bound, 36 to 80 MiB.
 */
const GARBAGE = 24 * MiB;
const PREFIX = "flood | ";

const markers: string[] = [];
after(() => {
  for (const marker of markers) killMarked(marker);
});

/** The resident size (`VmRSS`) of `pid`, in bytes. */
describe("a flood without newlines", { timeout: 120_000 }, () => {
  it(`holds at most ${MAX_LINE_BYTES / MiB} MiB beyond what a flood of lines holds, and writes it in pieces of exactly that size`, async (t) => {
    const dir = tempDir();
    const x = `head -c ${FLOOD_BYTES} /dev/zero | tr '\\\\0' x`;
    const script = `read go < go; ${x} | fold -w 1000; echo; echo lines done; read go < go; ${x}; echo; echo done; exec sleep 60`;
    writeFileSync(
      join(dir, "mirrord-up.yaml"),
      `services:\n  flood:\n    run: {type: local, command: [sh, -c, "${script}"]}\n`,
    );
    execFileSync("mkfifo", [join(dir, "go")]);
    const marker = newMarker();
    markers.push(marker);
    const child = spawn(BIN, ["--no-color", "--log-bytes", String(LOG_BYTES), "-k", "tester"], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TMPDIR: dir,
        MIRRORD_BIN: FAKE_MIRRORD,
        NODE_OPTIONS: "--max-semi-space-size=1",
        [MARKER_VAR]: marker,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    // The output is far too big to keep: kept are the lengths of the flood's lines (those that
    // start with `x`) and the start of every other line.
    const other: string[] = [];
    const xLines: number[] = [];
    let head = "";
    let length = 0;
    child.stdout?.on("data", (c: Buffer) => {
      for (let at = 0; at < c.length; ) {
        const nl = c.indexOf(10, at);
        const end = nl < 0 ? c.length : nl;
        if (head.length < 200) head += c.toString("latin1", at, Math.min(end, at + 200));
        length += end - at;
        if (nl < 0) break;
        if (head.startsWith(`${PREFIX}x`)) xLines.push(length - PREFIX.length);
        else other.push(head);
        head = "";
        length = 0;
        at = nl + 1;
      }
    });
    const exited = new Promise((resolve) => child.on("close", resolve));
    const seen = (text: string) => other.includes(text);
    await waitUntil(
      () => other.some((l) => l.includes("service ready")),
      30_000,
      `readiness; stderr: ${stderr}`,
    );
    const pid = child.pid as number;
    const go = () => writeFileSync(join(dir, "go"), "\n");

    go();
    await waitUntil(() => seen(`${PREFIX}lines done`), 60_000, `the flood of lines; stderr: ${stderr}`);
    const withLines = residentKiB(pid) * 1024;
    const lineCount = xLines.length;
    go();
    await waitUntil(() => seen(`${PREFIX}done`), 60_000, `the flood without newlines; stderr: ${stderr}`);
    const withoutNewlines = residentKiB(pid) * 1024;
    child.kill("SIGTERM");
    await exited;

    const bound = withLines + MAX_LINE_BYTES + GARBAGE;
    t.diagnostic(
      `VmRSS ${(withLines / MiB).toFixed(1)} MiB after the flood of lines, ${(withoutNewlines / MiB).toFixed(1)} MiB after the one without newlines (bound ${(bound / MiB).toFixed(1)} MiB)`,
    );
    assert.ok(
      withoutNewlines <= bound,
      `VmRSS ${(withLines / MiB).toFixed(1)} MiB after the flood of lines, ${(withoutNewlines / MiB).toFixed(1)} MiB after the one without newlines (bound ${(bound / MiB).toFixed(1)} MiB)`,
    );
    assert.equal(lineCount, Math.ceil(FLOOD_BYTES / 1000), "the flood of lines arrived as lines");
    const pieces = xLines.slice(lineCount);
    assert.equal(
      pieces.reduce((a, b) => a + b, 0),
      FLOOD_BYTES,
      "every byte of the flood arrived, once",
    );
    assert.deepEqual(pieces, Array(FLOOD_BYTES / MAX_LINE_BYTES).fill(MAX_LINE_BYTES));
  });
});
