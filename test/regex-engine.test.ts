/**
 * The regex engine (rregex, WebAssembly) survives its own failure: when its instance traps (out of
 * memory after many large patterns), the check is not answered "invalid"; a fresh instance is
 * loaded and the pattern checked again. A trap is provoked for real: the instance's memory is
 * grown to the 4 GiB a 32-bit WebAssembly memory can have (reserved, not used), so its next large
 * allocation fails, as it does after many large patterns.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, it } from "node:test";
import { checkFilterRegex } from "../src/config/rust-regex.js";
import { newRustRegex, plainRustRegexProblem, regexEngineLoads } from "../src/core/regex-engine.js";
import { REPO_ROOT } from "./helpers/paths.js";

const WASM_PAGES = 65_536;

/** Leaves the current instance no memory to grow into. */
function exhaustMemory(): void {
  plainRustRegexProblem("a"); // an instance is loaded
  // The CommonJS entry exports its instance as `__wasm`; only this test reaches into it.
  const { memory } = (
    createRequire(import.meta.url)("rregex") as {
      __wasm: { memory: { buffer: ArrayBuffer; grow(pages: number): number } };
    }
  ).__wasm;
  memory.grow(WASM_PAGES - memory.buffer.byteLength / 65_536);
}

describe("the regex engine survives its own failure", () => {
  it("after a trap, verdicts stay right: valid is valid, invalid is invalid with its own message", () => {
    exhaustMemory();
    const before = regexEngineLoads();
    assert.equal(checkFilterRegex("x-token: \\w{20}"), undefined);
    assert.equal(regexEngineLoads(), before + 1, "the instance trapped and a fresh one was loaded");
    assert.equal(
      checkFilterRegex("x-token: [z-a]\\w+"),
      "invalid character class range, the start must be <= the end: z-a",
    );
    assert.equal(checkFilterRegex("^/api/v[0-9]+/"), undefined);
    assert.equal(regexEngineLoads(), before + 1, "the fresh instance keeps working");
  });

  it("a regex compiled before a trap still matches after it (a readiness probe's)", () => {
    const probe = newRustRegex("listening on port \\d+");
    exhaustMemory();
    const before = regexEngineLoads();
    assert.equal(plainRustRegexProblem("\\w{20}"), undefined);
    assert.equal(regexEngineLoads(), before + 1);
    assert.equal(probe.isMatch("now listening on port 8080"), true);
    assert.equal(probe.isMatch("listening on port x"), false);
    probe.free();
  });

  it("thousands of large patterns in one process, with a trap every hundred, all get their verdict", () => {
    const before = regexEngineLoads();
    const wrong: string[] = [];
    let checked = 0;
    for (let i = 0; i < 1_500; i++) {
      if (i % 100 === 50) exhaustMemory();
      const size = 100 + (i % 200);
      const valid =
        i % 2 === 0
          ? `^x-tenant-${i}: [a-z0-9]{${size}}$`
          : `^/api/v${i}/(?:[a-f0-9]{8}-){${size % 40}}[a-f0-9]{12}$`;
      const invalid = `^x-tenant-${i}: [z-a]{${size}}$`;
      const validProblem = plainRustRegexProblem(valid);
      if (validProblem !== undefined) wrong.push(`${valid}: ${validProblem}`);
      const problem = plainRustRegexProblem(invalid);
      if (problem !== "invalid character class range, the start must be <= the end: z-a")
        wrong.push(`${invalid}: ${problem}`);
      checked += 2;
    }
    assert.deepEqual(wrong, []);
    assert.equal(checked, 3_000);
    assert.equal(regexEngineLoads() - before, 15, "one fresh instance after each exhaustion");
  });

  it("is the only way to rregex: validate, reload, --watch and the dashboard all check through it", () => {
    const src = join(REPO_ROOT, "src");
    const loaders = readdirSync(src, { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts"))
      .filter((file) => /["']rregex["']\)|from ["']rregex["']/.test(readFileSync(join(src, file), "utf8")));
    assert.deepEqual(loaders, [join("core", "regex-engine.ts")]);
  });
});
