/**
 * A body filter's `matches` and `env.mapping` keys are regexes mirrord compiles as written
 * (fancy-regex, no `(?i)` in front): one that does not compile is a located error at validate.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCliCaptured } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";

const dir = tempDir();

async function validate(name: string, body: string) {
  const file = `${name}.yaml`;
  writeFileSync(join(dir, file), `services:\n  api:\n    run: {command: [x]}\n${body}`);
  return { file, ...(await runCliCaptured(["validate", "-f", file], { cwd: dir, env: {} })) };
}

describe("regexes mirrord compiles as written", () => {
  it("an invalid body_filter.matches is an error at its value", async () => {
    const r = await validate(
      "body",
      '    http_filter:\n      body_filter: {body: json, query: $.a, matches: "(a"}\n',
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^body\.yaml:5:54: error: .*matches: invalid regular expression: a "\(" is never closed/m,
    );
  });

  it("an invalid matches inside all_of is an error too", async () => {
    const r = await validate(
      "all-of",
      '    http_filter:\n      all_of:\n        - {path: "^/api"}\n        - {body: json, query: $.a, matches: "a)"}\n',
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^all-of\.yaml:7:\d+: error: .*all_of\[1\]\.matches: invalid regular expression/m);
  });

  it("an invalid env.mapping key is an error at the key", async () => {
    const r = await validate("mapping", '    env:\n      mapping:\n        "^DB_(HOST": x\n');
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^mapping\.yaml:6:9: error: .*invalid regular expression: a "\(" is never closed/m,
    );
  });

  it("compiles them without (?i): `{2}` is a literal there, though not in a header filter", async () => {
    const ok = await validate(
      "literal",
      '    env:\n      mapping: {"x{2}": y}\n    http_filter:\n      body_filter: {body: json, query: $.a, matches: "{2}"}\n',
    );
    assert.equal(ok.code, 0, ok.stderr);
    const header = await validate("header", '    http_filter: {header_filter: "{2}"}\n');
    assert.equal(header.code, 2, header.stderr);
  });
});
