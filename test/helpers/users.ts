/**
 * Tests that act as another user (root may write anywhere, so "permission denied" needs someone
 * else) run this checkout's CLI as `nobody`. That user must reach it: a checkout under a 0700
 * directory (CI clones as root into a fresh folder) is out of its reach, and such a test skips.
 */
import { spawnSync } from "node:child_process";
import { BIN } from "./paths.js";

/** `nobody` on Debian and most Linux systems. */
export const NOBODY = 65534;

/**
 * Why `uid` cannot run the CLI from this checkout (`mirrord-up --version` as that user fails),
 * or undefined when it can.
 */
export function whyUserCannotRunCli(uid: number): string | undefined {
  const run = spawnSync(process.execPath, [BIN, "--version"], { uid, gid: uid, cwd: "/", encoding: "utf8" });
  if (run.status === 0) return undefined;
  const cause = run.error?.message ?? run.stderr.match(/^\w*Error: .*$/m)?.[0] ?? `exit ${run.status}`;
  return `user ${uid} cannot run ${BIN} (a directory above it is closed to others?): ${cause}`;
}
