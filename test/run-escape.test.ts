/**
 * Text from outside never drives the terminal: control characters in mirrord's progress messages
 * and error texts are shown as visible escapes, never written raw.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeControlChars } from "../src/text/escape-control.js";
import { runCliCaptured } from "./helpers/cli.js";
import { withConfig } from "./helpers/tmp.js";
import { runUp } from "./helpers/up.js";

const ESC = String.fromCharCode(27);

describe("control characters from outside are escaped", { timeout: 120_000 }, () => {
  it("a mirrord warning and a mirrord failure carrying escape sequences are shown escaped", async () => {
    // YAML double quotes: \x1b is ESC, \x07 BEL, \x9b the one-byte CSI, \r a carriage return.
    const { stdout, code } = await runUp(`services:
  warned:
    target: none
    env: {override: {FAKE_MIRRORD_WARNING: "title\\x1b]0;owned\\x07 then\\x1b[2J clear"}}
    run: {command: [sleep, "3600"]}
  broken:
    target: none
    # After warned has said its warning: broken's failure ends the run.
    depends_on: {warned: {condition: service_ready}}
    env: {override: {FAKE_MIRRORD_FAIL: "boom\\r\\x9b31m hidden"}}
    run: {command: [sleep, "3600"]}
`);
    assert.notEqual(code, 0);
    assert.ok(stdout.includes("mirrord warning: title\\x1b]0;owned\\x07 then\\x1b[2J clear"), stdout);
    assert.ok(stdout.includes("boom\\x0d\\u009b31m hidden"), stdout);
    // Status lines (`name ▸ text`) are mirrord-up's own: nothing raw in them. (What the session's
    // process writes to its stdout/stderr is passed through byte for byte, as documented.)
    for (const line of stdout.split("\n").filter((l) => l.includes(" ▸ "))) {
      const raw = [ESC, "\r", "\u009b", "\x07"].filter((c) => line.includes(c));
      assert.deepEqual(raw, [], `raw control character in ${JSON.stringify(line)}`);
    }
  });

  it("a service name from the command line is quoted escaped in the error", async () => {
    const dir = withConfig("services:\n  api:\n    run: {type: local, command: [sleep, '1']}\n");
    const r = await runCliCaptured(["config", `${ESC}]0;owned${String.fromCharCode(7)}api`], { cwd: dir });
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes("\\x1b]0;owned\\x07api"), r.stderr);
    assert.ok(!r.stderr.includes(ESC), "no raw ESC in the error");
  });

  it("escapes C0, DEL, C1 and bidi controls, keeps tabs and ordinary text", () => {
    assert.equal(escapeControlChars("a\tb"), "a\tb");
    assert.equal(escapeControlChars(`${ESC}[31mred`), "\\x1b[31mred");
    assert.equal(escapeControlChars("\x00\x7f\u0085"), "\\x00\\x7f\\u0085");
    assert.equal(escapeControlChars("abc\u202edcba"), "abc\\u202edcba");
    assert.equal(escapeControlChars("naïve ▸ ok"), "naïve ▸ ok");
  });
});
