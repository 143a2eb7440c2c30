/**
 * Nothing lost: every byte a service writes reaches mirrord-up's output exactly once, in order per
 * stream, with whole lines never broken or interleaved.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { FIXTURES, nothingLeft, runUp } from "./helpers/up.js";

const LINES_APP = join(FIXTURES, "apps", "lines.mjs");

/** The application lines of `name`, in order, without the prefix. */
function linesOf(stdout: string, name: string): string[] {
  const re = new RegExp(`^${name} +\\| (.*)$`);
  return stdout
    .split("\n")
    .map((l) => re.exec(l)?.[1])
    .filter((l): l is string => l !== undefined);
}

describe("output integrity", { timeout: 120_000 }, () => {
  it("a service that crashes right after writing: every line arrives before the crash is reported", async () => {
    const { code, stdout, run } = await runUp(
      `services:\n  crash:\n    target: {path: deployment/c}\n    run: {command: [bash, -c, 'for i in $(seq 1 20000); do echo "line $i"; done; kill -9 $$']}\n`,
    );
    assert.equal(code, 128 + 9);
    // The stand-in mirrord's own line (on its stderr) is the service's too; the rest is the app's.
    const lines = linesOf(stdout, "crash").filter((l) => !l.startsWith("mirrord stand-in: "));
    assert.equal(lines.length, 20000);
    for (const [i, l] of lines.entries()) assert.equal(l, `line ${i + 1}`);
    assert.ok(stdout.indexOf("crash ▸ killed by SIGKILL") > stdout.lastIndexOf("crash | line 20000"));
    await nothingLeft(run.marker);
  });

  it("a final line without a newline is printed, with one", async () => {
    const { stdout } = await runUp(
      `services:\n  t:\n    run: {type: local, command: [printf, "first\\\\nlast words"]}\n`,
    );
    assert.deepEqual(linesOf(stdout, "t"), ["first", "last words"]);
    assert.match(stdout, /t \| last words\nt ▸ exited with code 0/);
  });

  it("stderr lines are shown with the service's prefix, in order per stream", async () => {
    const { stdout } = await runUp(
      `services:\n  e:\n    run: {type: local, command: [node, ${JSON.stringify(LINES_APP)}, err, "3000", stderr]}\n`,
    );
    const lines = linesOf(stdout, "e");
    assert.equal(lines.length, 3000);
    for (const [i, l] of lines.entries()) assert.ok(l.startsWith(`err:${i}:`), l);
  });

  it("a 1 MiB line arrives whole", async () => {
    const { stdout } = await runUp(
      `services:\n  big:\n    run: {type: local, command: [node, -e, "process.stdout.write('y'.repeat(1048576) + '\\\\n'); console.log('after')"]}\n`,
    );
    const lines = linesOf(stdout, "big");
    assert.equal(lines.length, 2);
    assert.equal(lines[0], "y".repeat(1048576));
    assert.equal(lines[1], "after");
  });

  it("bytes that are not UTF-8 pass through unchanged", async () => {
    const { run } = await runUp(
      `services:\n  bin:\n    run: {type: local, command: [bash, -c, 'printf "ok \\\\xff\\\\xfe \\\\xc3\\\\x28 end\\\\n"']}\n`,
    );
    const raw = run.stdout();
    const expected = Buffer.from([
      0x62, 0x69, 0x6e, 0x20, 0x7c, 0x20, 0x6f, 0x6b, 0x20, 0xff, 0xfe, 0x20, 0xc3, 0x28, 0x20, 0x65, 0x6e,
      0x64, 0x0a,
    ]);
    assert.ok(raw.includes(expected), raw.toString("latin1"));
  });

  it("ten services writing 100,000 lines each at full speed: every line once, whole, in order", async () => {
    const services = Array.from({ length: 10 }, (_, i) => `s${i}`);
    const config = `services:\n${services
      .map(
        (s) =>
          `  ${s}:\n    run: {type: local, command: [node, ${JSON.stringify(LINES_APP)}, ${s}, "100000"]}\n`,
      )
      .join("")}`;
    const { code, stdout, run } = await runUp(config, { args: ["--keep-going"] });
    assert.equal(code, 0, run.stderr());
    const seen = new Map(services.map((s) => [s, 0]));
    for (const line of stdout.split("\n")) {
      const m = /^(s\d) \| (s\d):(\d+):x{40}$/.exec(line);
      if (!m) {
        // Anything else must be one of mirrord-up's own lines, never a broken application line.
        assert.match(
          line,
          /^$|^mirrord-up: |^ {2}|^s\d ▸ /,
          `malformed line: ${JSON.stringify(line.slice(0, 200))}`,
        );
        continue;
      }
      const [, prefix, id, n] = m;
      assert.equal(prefix, id, "a line under another service's prefix");
      assert.equal(Number(n), seen.get(id as string), `${id}: out of order or duplicated at ${n}`);
      seen.set(id as string, Number(n) + 1);
    }
    for (const s of services) assert.equal(seen.get(s), 100000, `${s} lost lines`);
  });
});
