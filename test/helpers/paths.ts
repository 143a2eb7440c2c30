import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The installed entry point; `npm test` builds `dist/` first. */
export const BIN = join(REPO_ROOT, "bin", "mirrord-up.js");
/** The V8 flags the bin line (`#!/usr/bin/env -S node FLAGS`) starts Node with. */
export const BIN_FLAGS: readonly string[] = (() => {
  const words = (readFileSync(BIN, "utf8").split("\n", 1)[0] ?? "").split(/\s+/);
  return words.slice(words.indexOf("node") + 1);
})();
/** `process.execPath` with these runs the program as its bin line does (its code cache included). */
export const BIN_ARGS: readonly string[] = [...BIN_FLAGS, BIN];
