/**
 * `config --output-dir DIR`: files that may hold secrets (env overrides), written so that nothing
 * else is touched. Each file is created anew (a temporary file in DIR, exclusive, no link
 * followed, mode 0600 from the start) and renamed over `<name>.json`: a link there is replaced,
 * never written through, and a file someone else created never receives the contents.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { type Diagnostic, UserError } from "../core/errors.js";
import { describeErrno, describeFileType } from "../core/files.js";
import { randomHex } from "../text/lazy-builtins.js";

export interface OutputFile {
  /** The file name inside the directory (`api.json`). */
  name: string;
  contents: string;
}

/**
 * Writes `files` into the directory `given` (as typed; relative to `cwd`) and returns its absolute
 * path. The directory is created (0700) when missing. Its last component may be a symbolic link
 * only when the user wrote a trailing slash (`out/`), which asks for the directory it points to;
 * links among the parent components are followed. Every problem is a `UserError` (exit 2).
 */
export function writePrivateFiles(given: string, cwd: string, files: readonly OutputFile[]): string {
  const dir = resolve(cwd, given);
  prepareDirectory(given, dir);
  const problems: Diagnostic[] = [];
  for (const file of files) {
    const problem = existingNonRegular(join(dir, file.name));
    if (problem) problems.push({ message: problem, hint: "move it away, or choose another --output-dir" });
  }
  if (problems.length > 0) throw new UserError(problems);
  for (const file of files) writeAnew(dir, file);
  return dir;
}

function prepareDirectory(given: string, dir: string): void {
  let stat = lstatOrUndefined(dir, "--output-dir");
  if (!stat) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw writeProblem(`cannot create the directory ${dir}`, error);
    }
    stat = lstatOrUndefined(dir, "--output-dir");
  }
  if (stat?.isSymbolicLink()) {
    if (!/\/$/.test(given)) {
      throw new UserError({
        message: `--output-dir ${given} is a symbolic link (to ${readLink(dir)}); mirrord-up does not write through it unless asked`,
        hint: `write \`--output-dir ${given}/\` to use the directory it points to`,
      });
    }
    stat = statOrUndefined(dir);
  }
  if (!stat?.isDirectory()) {
    throw new UserError({
      message: `--output-dir ${given} is not a directory${stat ? ` (it is a ${describeFileType(stat)})` : ""}`,
    });
  }
}

/** A message when `path` exists and is not a regular file (a directory, a FIFO, a link). */
function existingNonRegular(path: string): string | undefined {
  const stat = lstatOrUndefined(path, path);
  if (!stat || stat.isFile()) return undefined;
  return `${path} exists and is not a regular file (it is a ${describeFileType(stat)}); it is left alone`;
}

function writeAnew(dir: string, file: OutputFile): void {
  const target = join(dir, file.name);
  const temporary = join(dir, `.${file.name}.${randomHex(6)}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(
      temporary,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    // The umask may have taken bits away; the documented mode is exactly 0600.
    fchmodSync(fd, 0o600);
    const bytes = Buffer.from(file.contents);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, target);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temporary);
    } catch {
      // never created, or already renamed
    }
    // A directory or the like put there since the check: still the user's to sort out.
    const existing = existingNonRegular(target);
    if (existing)
      throw new UserError({ message: existing, hint: "move it away, or choose another --output-dir" });
    throw writeProblem(`cannot write ${target}`, error);
  }
}

function writeProblem(what: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  const hints: Record<string, string> = {
    EACCES: "choose a directory you can write to",
    EPERM: "choose a directory you can write to (a file there may belong to another user)",
    EROFS: "choose a directory on a writable file system",
    ENOSPC: "free some space, or choose another directory",
    EDQUOT: "free some space, or choose another directory",
  };
  return new UserError({ message: `${what}: ${describeErrno(code)}`, hint: code ? hints[code] : undefined });
}

function lstatOrUndefined(path: string, what: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw writeProblem(`cannot use ${what}`, error);
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function readLink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return "?";
  }
}
