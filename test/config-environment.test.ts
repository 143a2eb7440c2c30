/**
 * Problems with the machine rather than the file (TMPDIR missing or unwritable): an error with the
 * cause and a hint, exit 2, nothing started; never "internal error, please report".
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { processesWithMarker } from "./helpers/processes.js";
import { runUp } from "./helpers/up.js";

const LOCAL = `services:
  web:
    run: {type: local, command: [sh, -c, "touch started; sleep 30"]}
`;

describe("environment problems", { timeout: 60_000 }, () => {
  it("up with TMPDIR pointing nowhere: exit 2, the message names TMPDIR and the cause, nothing started", async () => {
    const r = await runUp(LOCAL, { env: { TMPDIR: "/nonexistent/tmp" } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /cannot create a private directory in \/nonexistent\/tmp for the mirrord configs: no such file or directory \(ENOENT\)/,
    );
    assert.match(r.stderr, /hint: .*TMPDIR/);
    assert.doesNotMatch(r.stderr, /internal error|please report/);
    assert.equal(existsSync(join(r.run.dir, "started")), false, "the service never ran");
    assert.deepEqual(processesWithMarker(r.run.marker), []);
  });
});
