/**
 * The heavy bundle is loaded with V8's code cache (src/cli/load-bundle.ts): the cache the build
 * writes is the one V8 takes under the bin line's flags, and a cache that is absent, of another
 * build or refused never changes what the bundle does.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadBundle, writeCodeCaches } from "../src/cli/load-bundle.js";
import { BIN_FLAGS, REPO_ROOT } from "./helpers/paths.js";
import { tempDir } from "./helpers/tmp.js";

const LAST =
  'module.exports = { sum: f7(3) + f199(1), file: __filename, dir: __dirname, same: this === exports, path: require("node:path").sep, line: new Error().stack.split("\\n")[1] };';

/** A CommonJS bundle as the build writes one: a first line naming it, then code using the wrapper's arguments. */
function bundle(dir: string, name: string, id: string): string {
  const file = join(dir, name);
  const body = Array.from({ length: 200 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i}; }`).join(
    "\n",
  );
  writeFileSync(file, `// mirrord-up bundle ${id}\n${body}\n${LAST}\n`);
  return file;
}

describe("loading a bundle with its code cache", () => {
  const dir = tempDir();
  /** `origin`: the file a used cache was made from, which V8 keeps as the script's name in stack traces. */
  const expected = (file: string, origin = file) => ({
    sum: 7 * 3 + 7 + 199 + 199,
    file,
    dir,
    same: true,
    path: "/",
    // The wrapper's own line does not shift the bundle's lines or columns.
    line: `    at Object.<anonymous> (${origin}:202:${LAST.indexOf("new Error") + 1})`,
  });

  it("without a cache, the bundle runs as `require` runs it", () => {
    const file = bundle(dir, "a.cjs", "sha256:a");
    const loaded = loadBundle(file);
    assert.equal(loaded.cache, "absent");
    assert.deepEqual(loaded.exports, expected(file));
    assert.equal(loadBundle(file), loaded, "once per process");
  });

  it("the cache written after a run is used for the same bundle, which runs the same", () => {
    const file = bundle(dir, "b.cjs", "sha256:b");
    loadBundle(file);
    assert.ok(writeCodeCaches().includes(`${file}.cache`));
    assert.equal(
      readFileSync(`${file}.cache`).toString("latin1").split("\n", 1)[0],
      "// mirrord-up bundle sha256:b",
    );
    const copy = join(dir, "b-copy.cjs");
    copyFileSync(file, copy);
    copyFileSync(`${file}.cache`, `${copy}.cache`);
    const loaded = loadBundle(copy);
    assert.equal(loaded.cache, "used");
    assert.deepEqual(loaded.exports, expected(copy, file));
  });

  it("a cache headed by another bundle's line is not offered", () => {
    const file = bundle(dir, "c.cjs", "sha256:c");
    loadBundle(file);
    writeCodeCaches();
    // Same length, other content: V8 alone would take the cache (it compares lengths).
    const other = bundle(dir, "d.cjs", "sha256:d");
    copyFileSync(`${file}.cache`, `${other}.cache`);
    const loaded = loadBundle(other);
    assert.equal(loaded.cache, "other-build");
    assert.deepEqual(loaded.exports, expected(other));
  });

  it("a cache V8 refuses (damaged) leaves the bundle compiled without it", () => {
    const file = bundle(dir, "e.cjs", "sha256:e");
    loadBundle(file);
    writeCodeCaches();
    const copy = join(dir, "e-copy.cjs");
    copyFileSync(file, copy);
    const cache = readFileSync(`${file}.cache`);
    const head = cache.indexOf(10) + 1;
    // The header V8 checks first (its magic number) flipped: refused whatever V8's checksum setting.
    for (let i = head; i < head + 8; i++) cache[i] = (cache[i] as number) ^ 0xff;
    writeFileSync(`${copy}.cache`, cache);
    const loaded = loadBundle(copy);
    assert.equal(loaded.cache, "refused");
    assert.deepEqual(loaded.exports, expected(copy));
  });
});

describe("the build's code cache", () => {
  it("is used under the bin line's V8 flags, for the bundle built beside it", () => {
    assert.ok(BIN_FLAGS.length > 0, "the bin line has flags");
    const heavy = join(REPO_ROOT, "dist", "mirrord-up-heavy.cjs");
    const script = `import(${JSON.stringify(join(REPO_ROOT, "src", "cli", "load-bundle.ts"))}).then((m) => console.log(m.loadBundle(${JSON.stringify(heavy)}).cache))`;
    const run = (extra: string[]) =>
      execFileSync(process.execPath, [...extra, "--import", "tsx", "-e", script], {
        cwd: REPO_ROOT,
        encoding: "utf8",
      }).trim();
    assert.equal(run([...BIN_FLAGS]), "used");
    // The check can fail: without the flags, V8 refuses the same cache.
    assert.equal(run([]), "refused");
  });
});
