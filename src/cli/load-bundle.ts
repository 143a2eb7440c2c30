/**
 * Loads one of this build's CommonJS bundles (dist/mirrord-up-heavy.cjs) as `require` would, but
 * through `vm.Script` with the code V8 compiled for it when it was built (`cachedData`, in
 * `<bundle>.cache`, written by `npm run build`): every command that reads a config file starts
 * without compiling most of it again (docs/performance.md).
 *
 * V8 takes a cache only from the same V8 run with the same flags (the bin line's), for a source of
 * the same length. The build also heads the cache with the bundle's first line, which names the
 * bundle's content, so a cache of another build is never offered. Whatever is wrong with the cache
 * (absent, of another build, refused by V8), the bundle is compiled as it would be without one.
 * One trace of the cache stays: stack traces name the file it was made from (V8 keeps that script
 * name), the same file unless dist/ was moved after the build.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { Script } from "node:vm";

/** What became of a bundle's cache: `used`, or why not. */
type CacheUse = "used" | "absent" | "other-build" | "refused";

interface LoadedBundle {
  /** The bundle's `module.exports`. */
  exports: unknown;
  cache: CacheUse;
}

/** Every bundle this process loaded, by the path it was asked for, with what writes its cache. */
const loaded = new Map<string, LoadedBundle & { path: string; id: string; script: Script }>();

/**
 * Node's CommonJS wrapper, on a line of its own: `lineOffset` -1 keeps the bundle's line numbers
 * in stack traces.
 */
const WRAPPER_HEAD = "(function (exports, require, module, __filename, __dirname) {\n";
const WRAPPER_TAIL = "\n})";

/** Loads `file` (an absolute path) once per process. */
export function loadBundle(file: string): LoadedBundle {
  const known = loaded.get(file);
  if (known) return known;
  const require = createRequire(file);
  // Through Node's resolver, as `require(file)` would be (what loads is traceable there).
  const path = require.resolve(file);
  // The bundles are ASCII (scripts/build.mjs): latin1 reads them as they are, faster.
  const source = readFileSync(path, "latin1");
  const id = source.slice(0, Math.max(0, source.indexOf("\n")));
  const offered = readCache(path, id);
  const script = new Script(WRAPPER_HEAD + source + WRAPPER_TAIL, {
    filename: path,
    lineOffset: -1,
    // No `import()` in a bundle loaded here: Node serves none in code from a cache (the build
    // checks; src/core/import-module.ts).
    cachedData: offered.data,
  });
  const cache: CacheUse =
    offered.data === undefined ? offered.why : script.cachedDataRejected ? "refused" : "used";
  const module = { exports: {} as unknown };
  const wrapper = script.runInThisContext() as (this: unknown, ...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, require, module, path, dirname(path));
  const entry = { exports: module.exports, cache, path, id, script };
  loaded.set(file, entry);
  return entry;
}

function readCache(path: string, id: string): { data?: Buffer; why: CacheUse } {
  let data: Buffer;
  try {
    data = readFileSync(`${path}.cache`);
  } catch {
    return { why: "absent" };
  }
  const head = data.indexOf(10);
  if (id === "" || head < 0 || data.toString("latin1", 0, head) !== id) return { why: "other-build" };
  return { data: data.subarray(head + 1), why: "used" };
}

/**
 * Writes the cache of every bundle loaded so far, with what V8 has compiled of it by now (so after
 * a run, the functions that run used): `<bundle>.cache`, headed by the bundle's first line.
 * Written beside and renamed over, so a reader never sees half of one.
 */
export function writeCodeCaches(): string[] {
  const written: string[] = [];
  for (const { path, id, script } of loaded.values()) {
    const target = `${path}.cache`;
    const fresh = `${dirname(target)}/.${process.pid}.cache`;
    try {
      writeFileSync(fresh, Buffer.concat([Buffer.from(`${id}\n`, "latin1"), script.createCachedData()]));
      renameSync(fresh, target);
    } finally {
      rmSync(fresh, { force: true });
    }
    written.push(target);
  }
  return written;
}
