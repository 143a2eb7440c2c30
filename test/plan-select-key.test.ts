/** Selection (upstream's selection tests) and the session key. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkKey, resolveKey } from "../src/plan/key.js";
import { PlanError } from "../src/plan/problems.js";
import { selectServices } from "../src/plan/select.js";
import { parseConfig } from "./helpers/parse.js";

const CONFIG = parseConfig(`services:
  web: {run: {command: [x]}}
  api: {run: {command: [x]}}
  batch: {skip: true, run: {command: [x]}}`);

describe("selection", () => {
  it("no_selection_drops_skipped_services", () => {
    assert.deepEqual(selectServices(CONFIG, []), ["api", "web"]);
  });
  it("selection_keeps_only_named_services", () => {
    assert.deepEqual(selectServices(CONFIG, ["web"]), ["web"]);
  });
  it("explicit_selection_overrides_skip", () => {
    assert.deepEqual(selectServices(CONFIG, ["batch", "api"]), ["api", "batch"]);
  });
  it("unknown_service_errors_and_lists_available (sorted)", () => {
    assert.throws(
      () => selectServices(CONFIG, ["wbe", "nope"]),
      (e: unknown) => {
        assert.ok(e instanceof PlanError);
        assert.equal(e.problems.length, 2);
        assert.equal(e.problems[0]!.message, 'unknown service "wbe"');
        assert.equal(e.problems[0]!.hint, 'did you mean "web"? available services: api, batch, web');
        assert.equal(e.problems[1]!.hint, "available services: api, batch, web");
        return true;
      },
    );
  });
  it("no_selection_with_all_skipped_errors", () => {
    assert.throws(
      () => selectServices(parseConfig(`services: {a: {skip: true, run: {command: [x]}}}`), []),
      /every service is marked `skip: true`/,
    );
  });
});

describe("session key", () => {
  const user = () => "osuser";
  it("--key beats MIRRORD_KEY beats the OS user name", () => {
    assert.deepEqual(resolveKey("flag", { MIRRORD_KEY: "env" }, user), { key: "flag", source: "--key" });
    assert.deepEqual(resolveKey(undefined, { MIRRORD_KEY: "env" }, user), {
      key: "env",
      source: "MIRRORD_KEY",
    });
    assert.deepEqual(resolveKey(undefined, {}, user), { key: "osuser", source: "user name" });
    assert.deepEqual(resolveKey(undefined, { MIRRORD_KEY: "" }, user), {
      key: "osuser",
      source: "user name",
    });
  });
  it("an invalid key is an error that names its source and suggests --key", () => {
    assert.throws(
      () => resolveKey(undefined, {}, () => "John Doe"),
      (e: unknown) => {
        assert.ok(e instanceof PlanError);
        assert.match(
          e.problems[0]!.message,
          /"John Doe" \(from user name\) is not a valid W3C baggage value/,
        );
        assert.match(e.problems[0]!.hint!, /--key/);
        return true;
      },
    );
  });
  it("accepts baggage values and rejects the separators", () => {
    for (const ok of ["alice", "john.doe", "a-b_c", "x%20y", "a/b:c"])
      assert.equal(checkKey(ok), undefined, ok);
    for (const bad of ["", "a b", "a,b", "a;b", 'a"b', "a\\b", "é", "x".repeat(300)])
      assert.notEqual(checkKey(bad), undefined, bad);
  });
  it("a failing user-name lookup is an error suggesting --key", () => {
    assert.throws(
      () =>
        resolveKey(undefined, {}, () => {
          throw new Error("no passwd entry");
        }),
      /OS user name/,
    );
  });
});
