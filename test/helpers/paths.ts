import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The installed entry point; `npm test` builds `dist/` first. */
export const BIN = join(REPO_ROOT, "bin", "mirrord-up.js");
