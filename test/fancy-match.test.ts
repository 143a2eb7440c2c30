/**
 * Regexes are matched exactly as mirrord's agent matches them (fancy-regex 0.14.0's `is_match`):
 * every (pattern, text) pair of test/fixtures/fancy-match/verdicts.jsonl against the verdict the
 * real fancy-regex gave (produced by generate.sh beside it, from the pairs cases.mjs writes).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type FancyMatch, fancyIsMatch } from "../src/core/fancy-match.js";
import { REPO_ROOT } from "./helpers/paths.js";

const FIXTURES = join(REPO_ROOT, "test", "fixtures", "fancy-match");

interface Case {
  pattern: string;
  text: string;
  verdict: "match" | "no-match" | "invalid" | "match-error";
  /** fancy-regex's error text, for "invalid" and "match-error". */
  why?: string;
}

const cases: Case[] = readFileSync(join(FIXTURES, "verdicts.jsonl"), "utf8")
  .split("\n")
  .filter((line) => line !== "")
  .map((line) => JSON.parse(line));

/** deep.jsonl: texts of about a million characters, kept as the unit they repeat and a count. */
const deep: Case[] = readFileSync(join(FIXTURES, "deep.jsonl"), "utf8")
  .split("\n")
  .filter((line) => line !== "")
  .map((line) => {
    const { repeat, times, ...rest } = JSON.parse(line);
    return { ...rest, text: (repeat as string).repeat(times) };
  });

const count = (test: (c: Case) => boolean) => cases.filter(test).length;

describe("regexes match as the real fancy-regex 0.14.0 matches them", () => {
  it("the table is what the generator writes, answered for every pair", () => {
    const hex = (text: string) => Buffer.from(text, "utf8").toString("hex");
    const pairs = execFileSync(process.execPath, [join(FIXTURES, "cases.mjs")], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "" }, // the committed table's seed, not a SEED= of this run
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(pairs, cases.map((c) => `${hex(c.pattern)}\t${hex(c.text)}\n`).join(""));
    const deepPairs = execFileSync(process.execPath, [join(FIXTURES, "cases.mjs"), "--deep"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(deepPairs, deep.map((c) => `${hex(c.pattern)}\t${hex(c.text)}\n`).join(""));
  });

  it("the table has at least 5,000 pairs and covers what the issue asks for", () => {
    assert.ok(cases.length >= 5000, `${cases.length} pairs`);
    const has = (what: string, test: (c: Case) => boolean, least = 10) =>
      assert.ok(count(test) >= least, `${what}: ${count(test)} pairs`);
    for (const verdict of ["match", "no-match", "invalid"] as const)
      has(verdict, (c) => c.verdict === verdict, 100);
    has("match-error", (c) => c.verdict === "match-error", 15);
    const inPattern = (fragment: string) => (c: Case) => c.pattern.includes(fragment);
    has("look-ahead", inPattern("(?="));
    has("negative look-ahead", inPattern("(?!"));
    has("look-behind", inPattern("(?<="));
    has("negative look-behind", inPattern("(?<!"));
    has("look-behind of alternatives of varying length", inPattern("(?<=a|bc)"));
    has("numbered back-references", (c) => /\\[1-9]/.test(c.pattern));
    has("named back-references", inPattern("\\k<"));
    has("back-references under (?i)", (c) => c.pattern.startsWith("(?i)") && /\\[1-9]/.test(c.pattern));
    has("atomic groups", inPattern("(?>"));
    has("possessive quantifiers", (c) => /[*+?]\+/.test(c.pattern));
    has("lazy quantifiers", (c) => /[*+?]\?/.test(c.pattern));
    has("conditionals", inPattern("(?("));
    has("\\K", inPattern("\\K"));
    has("\\G", inPattern("\\G"));
    has("word boundaries", inPattern("\\b"));
    has("nested look-around", inPattern("(?=(?=a)a)"));
    has("the agent's (?i) prefix", (c) => c.pattern.startsWith("(?i)"), 1000);
    has("multi-byte text", (c) => Buffer.byteLength(c.text) > c.text.length, 500);
    has("astral text", (c) => /[\u{10000}-\u{10ffff}]/u.test(c.text), 100);
    has("combining marks", (c) => /\p{M}/u.test(c.text));
    has("empty text", (c) => c.text === "");
    has("header lines", (c) => c.text.startsWith("baggage: mirrord-session="));
    has("paths with a query", (c) => c.text.startsWith("/") && c.text.includes("?"));
    has(
      "the backtrack limit",
      (c) => c.why === "Error executing regex: Max limit for backtracking count exceeded",
    );
    assert.ok(deep.some((c) => c.why === "Error executing regex: Max stack size exceeded for backtracking"));
  });

  it("agrees with the real fancy-regex on every pair (cannot-tell only with a reason)", (t) => {
    const disagreements: string[] = [];
    const cannotTell: string[] = [];
    for (const c of [...cases, ...deep]) {
      const got: FancyMatch = fancyIsMatch(c.pattern, c.text);
      if (got.verdict === "cannot-tell") {
        assert.ok(got.why.length > 0);
        cannotTell.push(`${JSON.stringify(c.pattern)} on ${JSON.stringify(c.text.slice(0, 80))}: ${got.why}`);
        continue;
      }
      const same =
        got.verdict === c.verdict && (c.verdict !== "match-error" || ("why" in got && got.why === c.why));
      if (!same) {
        disagreements.push(
          `${JSON.stringify(c.pattern)} on ${JSON.stringify(c.text.slice(0, 80))}: fancy-regex says ${c.verdict}, we say ${JSON.stringify(got)}`,
        );
      }
    }
    t.diagnostic(
      `${cases.length + deep.length} pairs, ${disagreements.length} disagreements, ${cannotTell.length} cannot-tell`,
    );
    for (const line of cannotTell) t.diagnostic(`cannot tell: ${line}`);
    assert.deepEqual(disagreements.slice(0, 20), []);
    assert.ok(cannotTell.length <= cases.length / 1000, `${cannotTell.length} cannot-tell answers`);
  });

  it("says why a pattern does not compile", () => {
    const got = fancyIsMatch("(?<=a+)b", "ab");
    assert.equal(got.verdict, "invalid");
    assert.match((got as { why: string }).why, /look-behind/);
    const delegate = fancyIsMatch("[b-a](?=c)", "c");
    assert.equal(delegate.verdict, "invalid");
    assert.match((delegate as { why: string }).why, /range/i);
  });

  it("cannot tell for text Rust cannot hold (a lone UTF-16 surrogate)", () => {
    const got = fancyIsMatch("a(?=b)", "a\ud800b");
    assert.equal(got.verdict, "cannot-tell");
    assert.match((got as { why: string }).why, /surrogate/);
  });

  it("gives the same verdicts when a pattern is asked again, also after hundreds of others", () => {
    const pattern = "^x-mirrord-user: (\\w+)(?<=alice)$";
    const first = "[x]0(?=z)";
    assert.deepEqual(fancyIsMatch(first, "x0z"), { verdict: "match" });
    // 300 other patterns, each with a sub-pattern of its own for the regex crate: compiled
    // patterns and regexes are kept for a while, then dropped and freed
    for (let i = 1; i <= 300; i++)
      assert.deepEqual(fancyIsMatch(`[x]${i}(?=z)`, `x${i}z`), { verdict: "match" });
    assert.deepEqual(fancyIsMatch(first, "x0z"), { verdict: "match" });
    assert.deepEqual(fancyIsMatch(first, "x0"), { verdict: "no-match" });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(fancyIsMatch(pattern, "x-mirrord-user: alice"), { verdict: "match" });
      assert.deepEqual(fancyIsMatch(pattern, "x-mirrord-user: bob"), { verdict: "no-match" });
    }
  });
});
