/**
 * A reload renders the file's template on a worker thread: while it renders, the run goes on
 * (output is shown, `ps` answers, Ctrl-C stops it), and a template past its bounds is refused with
 * a located error, changing nothing.
 */
import assert from "node:assert/strict";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ps } from "./helpers/ps.js";
import { nothingLeft, startUp, type UpRun } from "./helpers/up.js";

const config = `
services:
  ticker:
    run: {type: local, command: [bash, -c, 'i=0; while :; do echo "tick $i"; i=$((i+1)); sleep 0.05; done']}
`;

/**
 * Legal but slow to render (~9 M of the 10 M units of work: json_encode of a shared value of
 * 2^18 leaves, 10 times), then the bomb, refused where it doubles.
 */
const SLOW =
  "{% set_global w = [1] %}{% for i in range(end=18) %}{% set_global w = [w, w] %}{% endfor %}" +
  "{% for i in range(end=10) %}{% set r = w | json_encode %}{% endfor %}";
const BOMB =
  "{% set_global x = [1] %}{% for i in range(end=60) %}{% set_global x = [x, x] %}{% endfor %}{{ x }}";

/** Saves like an editor does: a new file renamed over the old one. */
function save(run: UpRun, text: string): void {
  const temporary = join(run.dir, ".mirrord-up.yaml.swp");
  writeFileSync(temporary, text);
  renameSync(temporary, join(run.dir, "mirrord-up.yaml"));
}

const ticks = (text: string) => text.match(/ticker +\| tick \d+/g)?.length ?? 0;

describe("a reload renders off the main thread", { timeout: 180_000 }, () => {
  it("output flows and ps answers while a slow file renders; the bomb is refused, nothing changes", async () => {
    const run = startUp(config, { args: ["--watch"] });
    await run.waitForOutput("1 service ready");
    await run.waitForOutput("tick 2");
    const [before] = await ps(run);

    save(run, `${config}# ${SLOW}${BOMB}\n`);
    await run.waitForOutput("watch: mirrord-up.yaml changed, reloading");
    const answer = await ps(run);
    assert.deepEqual(
      answer.map((s) => [s.name, s.pid]),
      [["ticker", before?.pid]],
    );
    await run.waitForOutput("mirrord-up: reload: the file is invalid, nothing changed");
    const col = 3 + `${SLOW}${BOMB}`.indexOf("[x, x]");
    await run.waitForOutput(
      new RegExp(`mirrord-up\\.yaml:5:${col}: error: template error: a value would hold more than`),
    );
    // Output went on between the start of the reload and its end: the render did not hold the
    // event loop (rendered on the main thread, no line could come in between).
    const out = run.stdout().toString();
    const during = out.slice(out.indexOf("changed, reloading"), out.indexOf("reload: the file is invalid"));
    assert.ok(ticks(during) >= 3, `output during the render:\n${during}`);

    // The run goes on unchanged.
    const seen = ticks(run.stdout().toString());
    await run.waitForOutput(`tick ${seen + 2}`);
    assert.deepEqual(
      (await ps(run)).map((s) => [s.name, s.pid]),
      [["ticker", before?.pid]],
    );

    run.child.kill("SIGINT");
    assert.equal((await run.exited).code, 0);
    await nothingLeft(run.marker);
  });

  it("Ctrl-C while a file renders ends the run as usual", async () => {
    const run = startUp(config, { args: ["--watch"] });
    await run.waitForOutput("1 service ready");

    save(run, `${config}# ${SLOW}${BOMB}\n`);
    await run.waitForOutput("watch: mirrord-up.yaml changed, reloading");
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    assert.equal(code, 0, run.stderr());
    const out = run.stdout().toString();
    assert.match(out, /SIGINT, stopping 1 service/);
    // The render was under way when the signal came: its outcome was never reported before it.
    const result = out.indexOf("reload: the file is invalid");
    assert.ok(result === -1 || result > out.indexOf("SIGINT, stopping"), out);
    assert.equal(run.stderr(), "");
    await nothingLeft(run.marker);
  });
});
