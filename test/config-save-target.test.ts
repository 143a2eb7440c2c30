/** Saving a chosen target back: a text edit that leaves every other byte of the file alone. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { insertTarget } from "../src/config/save-target.js";
import { parseConfig } from "./helpers/parse.js";

const TARGET = { path: "deployment/api", namespace: "shop" };

/** `after` must be `before` plus exactly `inserted` at one place. */
function assertOnlyInserted(before: string, after: string, inserted: string): void {
  const at = after.indexOf(inserted);
  assert.ok(at >= 0, `expected ${JSON.stringify(inserted)} in:\n${after}`);
  assert.equal(after.slice(0, at) + after.slice(at + inserted.length), before);
}

describe("insertTarget", () => {
  it("block mapping: a new first line indented like its siblings; comments and templates untouched", () => {
    const before = `# head\nservices:\n  # api\n  api:   # trailing\n      env: {override: {K: "{{ key }}"}}\n      run: {command: [x]}\n  web: {run: {command: [y]}}\n`;
    const after = insertTarget(before, "api", TARGET);
    assertOnlyInserted(before, after, "      target: {path: deployment/api, namespace: shop}\n");
    assert.deepEqual(parseConfig(after.replace("{{ key }}", "k")).services.api?.target, TARGET);
  });

  it("flow mapping: inserted after the brace", () => {
    const before = `services:\n  api: {run: {command: [x]}}  # c\n`;
    const after = insertTarget(before, "api", TARGET);
    assertOnlyInserted(before, after, "target: {path: deployment/api, namespace: shop}, ");
  });

  it("an existing flow target (namespace only) is replaced in place", () => {
    const before = `services:\n  api:\n    target: {namespace: shop}   # keep\n    run: {command: [x]}\n`;
    const after = insertTarget(before, "api", TARGET);
    assert.equal(after, before.replace("{namespace: shop}", "{path: deployment/api, namespace: shop}"));
  });

  it("an empty `target:` gets its value after the colon", () => {
    const before = `services:\n  api:\n    target:\n    run: {command: [x]}\n`;
    assert.equal(
      insertTarget(before, "api", TARGET),
      before.replace("target:", "target: {path: deployment/api, namespace: shop}"),
    );
  });

  it("a block target mapping keeps its comment and gains the missing key", () => {
    const before = `services:\n  api:\n    target:\n      # decided later\n      namespace: shop\n    run: {command: [x]}\n`;
    const after = insertTarget(before, "api", TARGET);
    assertOnlyInserted(before, after, "      path: deployment/api\n");
  });

  it("without a namespace only the path is written", () => {
    const before = `services:\n  api:\n    run: {command: [x]}\n`;
    assertOnlyInserted(
      before,
      insertTarget(before, "api", { path: "pod/p/container/c" }),
      "    target: {path: pod/p/container/c}\n",
    );
  });

  it("refuses, with a reason, a file whose template tags are outside strings", () => {
    const before = `services:\n{% if true %}\n  api:\n    run: {command: [x]}\n{% endif %}\n`;
    assert.throws(() => insertTarget(before, "api", TARGET), /not plain YAML before templating/);
  });
});
