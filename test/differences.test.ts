/**
 * docs/differences.md lists every input upstream reads and mirrord-up refuses: each row's
 * examples are read by upstream's serde_yaml (the real one: `test/fixtures/serde-yaml/`) and
 * refused by mirrord-up, and every example names a row of the page.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { judge, refusalIds } from "./helpers/differences.js";

interface Example {
  name: string;
  id: string;
  yaml: string;
}
type Verdict = { ok: true } | { ok: false; error: string };

const fixtures = new URL("./fixtures/serde-yaml/", import.meta.url);
const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, fixtures), "utf8")) as T;
const { cases } = read<{ cases: Example[] }>("refusals.json");
const verdicts = read<Record<string, Verdict>>("refusals-verdicts.json");

const RUN = "services:\n  api:\n    run: {command: [app]}\n";
/**
 * Rows whose example is made here rather than read by serde_yaml: a file over 1 MiB (a comment,
 * which serde_yaml skips), and a template Tera renders (800 nested `if`s: the real Tera 1.17.1
 * renders 2,000 and overflows its stack at 5,000, run by hand with the generator of
 * `test/fixtures/tera-dates/`).
 */
const MADE_HERE: Record<string, string> = {
  "file-size": `# ${"x".repeat(1024 * 1024)}\n${RUN}`,
  "template-depth": `${"{% if true %}".repeat(800)}${RUN}${"{% endif %}".repeat(800)}`,
};

describe("inputs upstream reads and mirrord-up refuses (docs/differences.md)", () => {
  const ids = refusalIds();

  it("every row has an example, and every example a row", () => {
    assert.ok(ids.length >= 15, `only ${ids.length} rows`);
    const exemplified = new Set([...cases.map((c) => c.id), ...Object.keys(MADE_HERE)]);
    for (const id of ids) assert.ok(exemplified.has(id), `row ${id} has no example`);
    for (const id of exemplified) assert.ok(ids.includes(id), `example ${id} has no row on the page`);
  });

  for (const c of cases) {
    it(c.name, () => {
      const upstream = verdicts[c.name];
      assert.ok(upstream, `no verdict for ${c.name}: run test/fixtures/serde-yaml/generate.sh`);
      assert.ok(upstream.ok, `upstream refuses it too, so it is no difference: ${JSON.stringify(upstream)}`);
      const got = judge(c.yaml);
      assert.equal(got.ok, false, `mirrord-up reads it:\n${c.yaml}`);
    });
  }

  for (const [id, yaml] of Object.entries(MADE_HERE)) {
    it(`${id}/made-here`, () => {
      assert.equal(judge(yaml).ok, false);
    });
  }
});
