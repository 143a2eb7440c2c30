/**
 * Where a running `up` listens: one Unix socket per config file, in a per-user runtime directory.
 *
 * The directory is the only access control (Node cannot check a peer's credentials), so it is
 * trusted only when it is a real directory (not a symbolic link), owned by this user, and closed
 * to everyone else (mode 0700). Anything else is refused rather than repaired: a directory
 * someone else prepared in /tmp is exactly what an attacker would leave there.
 */
import { lstatSync, mkdirSync, realpathSync, type Stats } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { DEFAULT_CONFIG_FILE } from "../config/default-file.js";
import { UserError } from "../core/errors.js";
import { describeErrno } from "../core/files.js";
import { sha256Hex } from "../text/sha256.js";

/** Linux's `sun_path` holds 108 bytes with the terminating NUL; Node silently truncates longer paths. */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * The runtime directory, by precedence: `$MIRRORD_UP_RUNTIME_DIR`, else
 * `$XDG_RUNTIME_DIR/mirrord-up`, else `${TMPDIR:-/tmp}/mirrord-up-<uid>`.
 */
export function runtimeDirPath(env: NodeJS.ProcessEnv, cwd: string): string {
  if (env.MIRRORD_UP_RUNTIME_DIR) return resolve(cwd, env.MIRRORD_UP_RUNTIME_DIR);
  // The XDG spec: a relative XDG_RUNTIME_DIR is invalid and must be ignored.
  if (env.XDG_RUNTIME_DIR && isAbsolute(env.XDG_RUNTIME_DIR)) return join(env.XDG_RUNTIME_DIR, "mirrord-up");
  const tmp = env.TMPDIR && isAbsolute(env.TMPDIR) ? env.TMPDIR : "/tmp";
  return join(tmp, `mirrord-up-${currentUid()}`);
}

/** Creates the runtime directory (0700) if it is missing, and checks that it can be trusted. */
export function ensureRuntimeDir(env: NodeJS.ProcessEnv, cwd: string): string {
  const dir = runtimeDirPath(env, cwd);
  try {
    // Only the last component: a missing TMPDIR or XDG_RUNTIME_DIR is the environment's problem
    // to report, not a tree to create.
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // EEXIST: a file or a dangling link is in the way; the check below names it.
    if (code !== "EEXIST") {
      throw new UserError({
        message: `cannot create the runtime directory ${dir}: ${describeErrno(code)}`,
        hint: runtimeDirHint(env),
      });
    }
  }
  checkRuntimeDir(dir, env);
  return dir;
}

/**
 * The runtime directory if it exists and can be trusted, undefined if it does not exist (then
 * nothing can be running). An untrusted directory is an error, never a place to connect to.
 */
export function existingRuntimeDir(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const dir = runtimeDirPath(env, cwd);
  try {
    lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
  }
  checkRuntimeDir(dir, env);
  return dir;
}

/** Refuses a runtime directory that is a link, not a directory, someone else's, or open to others. */
function checkRuntimeDir(dir: string, env: NodeJS.ProcessEnv): void {
  let stats: Stats;
  try {
    stats = lstatSync(dir);
  } catch (error) {
    throw new UserError({
      message: `cannot use the runtime directory ${dir}: ${describeErrno((error as NodeJS.ErrnoException).code)}`,
      hint: runtimeDirHint(env),
    });
  }
  const refuse = (why: string, hint: string) =>
    new UserError({ message: `refusing the runtime directory ${dir}: ${why}`, hint });
  if (stats.isSymbolicLink()) {
    throw refuse("it is a symbolic link", `remove the link, or ${runtimeDirHint(env)}`);
  }
  if (!stats.isDirectory()) {
    throw refuse("it is not a directory", `remove it, or ${runtimeDirHint(env)}`);
  }
  const uid = currentUid();
  if (stats.uid !== uid) {
    throw refuse(
      `it is owned by uid ${stats.uid}, not by you (uid ${uid})`,
      `someone else created it: remove it, or ${runtimeDirHint(env)}`,
    );
  }
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw refuse(
      `other users can access it (mode ${mode.toString(8).padStart(4, "0")})`,
      `make it private with \`chmod 700 ${dir}\`, or ${runtimeDirHint(env)}`,
    );
  }
}

function runtimeDirHint(env: NodeJS.ProcessEnv): string {
  return env.MIRRORD_UP_RUNTIME_DIR
    ? "point MIRRORD_UP_RUNTIME_DIR at a private directory of your own"
    : "set MIRRORD_UP_RUNTIME_DIR to a private directory of your own";
}

/**
 * The config file as `up` identifies it: `-f` (default `mirrord-up.yaml`) relative to `cwd`,
 * resolved to its real path, so that every way of naming one file finds the same instance. A
 * file that does not exist keeps its absolute path (no instance can be running for it).
 */
export function configFileIdentity(file: string | undefined, cwd: string): string {
  const absolute = resolve(cwd, file ?? DEFAULT_CONFIG_FILE);
  try {
    return realpathSync(absolute);
  } catch {
    return absolute;
  }
}

/** `<dir>/<first 16 hex digits of sha256(real path)>.sock`. */
export function socketPathFor(dir: string, realFile: string): string {
  const digest = sha256Hex(realFile).slice(0, 16);
  const path = join(dir, `${digest}.sock`);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new UserError({
      message: `the control socket path ${path} is too long for a Unix socket (at most ${MAX_SOCKET_PATH_BYTES} bytes)`,
      hint: "set MIRRORD_UP_RUNTIME_DIR to a shorter directory, e.g. /tmp/mirrord-up-$(id -u)",
    });
  }
  return path;
}

function currentUid(): number {
  // process.getuid is missing only on Windows, where Unix sockets in a private directory are
  // not how this works anyway.
  return process.getuid?.() ?? 0;
}
