/**
 * The default split filter. mirrord matches header filters against `name: value` with the
 * regex compiled case-insensitively; the generated pattern uses only syntax that JavaScript and
 * Rust read the same way, so it is checked here with a JS RegExp and the `i` flag.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkRustRegex } from "../src/config/rust-regex.js";
import { escapeRustRegex, sessionHeaderFilter } from "../src/plan/session-filter.js";

const matches = (key: string, header: string) => new RegExp(sessionHeaderFilter(key), "i").test(header);

describe("default session filter", () => {
  for (const header of [
    "baggage: mirrord-session=bob",
    "baggage: a=1, mirrord-session=bob;p=x",
    "baggage: mirrord-session=bob,c=3",
    "baggage: a=1,mirrord-session=bob",
    "baggage: mirrord-session = bob ; ttl=3",
    "Baggage: mirrord-session=bob",
  ]) {
    it(`steals "${header}"`, () => assert.equal(matches("bob", header), true));
  }

  for (const header of [
    "baggage: mirrord-session=bobby",
    "baggage: mirrord-session=bo",
    "baggage: x-mirrord-session=bob",
    "baggage: a=mirrord-session=bob",
    "traceparent: mirrord-session=bob",
    "x-baggage: mirrord-session=bob",
    "baggage: other=1;mirrord-session=bob",
  ]) {
    it(`does not steal "${header}"`, () => assert.equal(matches("bob", header), false));
  }

  it("regex-escapes the key: john.doe does not match johnXdoe", () => {
    assert.equal(matches("john.doe", "baggage: mirrord-session=john.doe"), true);
    assert.equal(matches("john.doe", "baggage: mirrord-session=johnXdoe"), false);
  });

  it("keys full of regex metacharacters match themselves only", () => {
    const key = "a+b*c?(d)[e]{f}^g$h|i#j&k-l~m";
    assert.equal(matches(key, `baggage: mirrord-session=${key}`), true);
    assert.equal(matches(key, "baggage: mirrord-session=aab"), false);
    assert.equal(checkRustRegex(sessionHeaderFilter(key)), undefined);
  });

  it("escapes exactly what Rust's regex::escape escapes", () => {
    assert.equal(escapeRustRegex("a.b-c~d#e&f"), "a\\.b\\-c\\~d\\#e\\&f");
    assert.equal(escapeRustRegex("plain_KEY09"), "plain_KEY09");
  });
});
