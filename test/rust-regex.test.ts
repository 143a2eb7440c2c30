import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkRustRegex } from "../src/config/rust-regex.js";

describe("regexes are checked the way mirrord (fancy-regex) reads them", () => {
  for (const valid of [
    "(?i)^x-user: alice$",
    "^User-Agent: (?!kube-probe)",
    "(?<=a)b",
    "(?P<name>a+)(?P=name)",
    "(?i:abc)def",
    "(?x) a b c",
    "\\Aabc\\z",
    "[[:alpha:]]+",
    "[^]a]",
    "(?>atomic)",
    "\\p{Greek}+",
    "a{2,3}",
    "^baggage: .*mirrord-session=bob.*$",
  ]) {
    it(`accepts ${valid}`, () => assert.equal(checkRustRegex(valid), undefined));
  }
  for (const invalid of ["(a", "a)", "*a", "[a-", "a{2", "(?P<n>a", "\\", "a**"]) {
    it(`rejects ${invalid}`, () => assert.notEqual(checkRustRegex(invalid), undefined));
  }
});
