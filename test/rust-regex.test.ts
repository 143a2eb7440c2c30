/**
 * Regexes are judged exactly as mirrord (fancy-regex 0.14) judges them: every pattern of
 * test/fixtures/regex/patterns.jsonl against the verdict the real fancy-regex gave
 * (test/fixtures/regex/verdicts.jsonl, produced by the generator beside it).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { checkFancyRegex, checkFilterRegex, filterRegexSizeWarning } from "../src/config/rust-regex.js";
import { runCliCaptured } from "./helpers/cli.js";
import { BIN, REPO_ROOT } from "./helpers/paths.js";
import { tempDir, withConfig } from "./helpers/tmp.js";

const FIXTURES = join(REPO_ROOT, "test", "fixtures", "regex");

interface Verdict {
  pattern: string;
  /** fancy-regex's error for `Regex::new(pattern)`, or null when it compiles. */
  plain: string | null;
  /** The same for `Regex::new("(?i)" + pattern)` (the agent's header and path filters). */
  agent: string | null;
}

const dataLines = (file: string) =>
  readFileSync(join(FIXTURES, file), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("//"));

const verdicts: Verdict[] = dataLines("verdicts.jsonl").map((line) => JSON.parse(line));

describe("regexes are judged as the real fancy-regex judges them", () => {
  it("the verdict table was generated from the current pattern list", () => {
    const patterns = dataLines("patterns.jsonl").map((line) => JSON.parse(line) as string);
    assert.deepEqual(
      verdicts.map((v) => v.pattern),
      patterns,
    );
  });

  it("the table holds the ten patterns of issue 9 and at least 30 more, valid and invalid", () => {
    const issue = [
      "a++",
      "\\u{1F600}",
      "a{2}{3}",
      "[a--b]",
      "\\Z",
      "\\k<x>",
      "(?<=a+)b",
      "\\p{XYZ}",
      "x{1000000}",
    ];
    for (const pattern of issue)
      assert.ok(
        verdicts.some((v) => v.pattern === pattern),
        pattern,
      );
    assert.ok(verdicts.some((v) => v.pattern.startsWith("(?#")));
    assert.ok(verdicts.length >= 40);
    assert.ok(verdicts.filter((v) => v.plain === null).length >= 20);
    assert.ok(verdicts.filter((v) => v.plain !== null).length >= 20);
  });

  for (const v of verdicts) {
    const shown = JSON.stringify(v.pattern).slice(0, 60);
    const filterOk = v.plain === null && v.agent === null;
    it(`${filterOk ? "accepts" : "rejects"} the filter ${shown}`, () => {
      const problem = checkFilterRegex(v.pattern);
      if (filterOk) assert.equal(problem, undefined);
      else assert.notEqual(problem, undefined, `fancy-regex says: ${v.plain ?? v.agent}`);
      // None of these is near the size limit (test/regex-size.test.ts has those): no warning.
      if (filterOk) assert.equal(filterRegexSizeWarning(v.pattern), undefined);
    });
    it(`${v.plain === null ? "accepts" : "rejects"} ${shown} compiled as written`, () => {
      const problem = checkFancyRegex(v.pattern);
      if (v.plain === null) assert.equal(problem, undefined);
      else assert.notEqual(problem, undefined, `fancy-regex says: ${v.plain}`);
    });
  }
});

describe("regex problems are explained", () => {
  it("gives the character where fancy-regex's parser stopped", () => {
    assert.equal(checkFilterRegex("ab\\Z"), "unknown escape \\Z at character 3");
    assert.equal(checkFilterRegex("(a"), 'a "(" is never closed at character 3');
  });

  it("names what the regex crate rejected and the part it rejected", () => {
    assert.equal(checkFilterRegex("x\\p{XYZ}"), "Unicode property not found: \\p{XYZ}");
    assert.match(checkFilterRegex("x{1000000}") ?? "", /exceeds size limit/);
  });

  it("says when only the agent's (?i) prefix makes a filter fail", () => {
    assert.equal(checkFancyRegex("{2}"), undefined);
    assert.equal(
      checkFilterRegex("{2}"),
      `nothing to repeat (a repetition after nothing, an anchor or a look-around) at character 3 (as mirrord's agent compiles it, with "(?i)" in front)`,
    );
  });

  it("reports a bad filter in mirrord-up.yaml at its line and column", async () => {
    const dir = withConfig(
      [
        "services:",
        "  api:",
        "    http_filter: {header_filter: '(?<=a+)b'}",
        "    run: {command: [x]}",
        "",
      ].join("\n"),
    );
    const result = await runCliCaptured(["validate", "-k", "k"], { cwd: dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /mirrord-up\.yaml:3:\d+: error: .*look-behind must match a fixed length/);
  });

  it("accepts a filter only Rust's syntax allows", async () => {
    const dir = withConfig(
      [
        "services:",
        "  api:",
        "    http_filter: {path_filter: '^/a++[a--b]\\u{1F600}'}",
        "    run: {command: [x]}",
        "",
      ].join("\n"),
    );
    const result = await runCliCaptured(["validate", "-k", "k"], { cwd: dir });
    // Only validate's warnings that program x and mirrord are not found here.
    assert.doesNotMatch(result.stderr, /error|filter/);
    assert.equal(result.code, 0);
  });
});

/** Module names the CLI `require`s (rregex is loaded with createRequire, not import). */
async function requiredModules(args: string[], cwd: string): Promise<string[]> {
  const trace = join(tempDir(), "requires.txt");
  await new Promise<void>((resolve) =>
    execFile(
      process.execPath,
      ["--require", join(REPO_ROOT, "test", "fixtures", "trace-requires.cjs"), BIN, ...args],
      { cwd, env: { PATH: process.env.PATH, TRACE_REQUIRES_FILE: trace } },
      () => resolve(),
    ),
  );
  return existsSync(trace) ? readFileSync(trace, "utf8").split("\n") : [];
}

describe("the Rust regex engine is loaded only for a file with a regex", { timeout: 60_000 }, () => {
  const plain = "services:\n  api:\n    run: {command: [x]}\n";
  const withRegex =
    "services:\n  api:\n    http_filter: {header_filter: 'x-a: b'}\n    run: {command: [x]}\n";

  for (const args of [["--help"], ["validate", "-k", "k"]]) {
    it(`\`mirrord-up ${args.join(" ")}\` without a regex does not load it`, async () => {
      const modules = await requiredModules(args, withConfig(plain));
      assert.ok(
        modules.some((m) => m.startsWith("node:")),
        "the trace works",
      );
      assert.ok(!modules.includes("rregex"));
    });
  }

  it("`mirrord-up validate` with a header filter loads it", async () => {
    const modules = await requiredModules(["validate", "-k", "k"], withConfig(withRegex));
    assert.ok(modules.includes("rregex"));
  });
});
