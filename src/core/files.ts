/**
 * Reading a file the user named, bounded: only regular files are read (a FIFO would block, a
 * device such as /dev/zero never ends), and never more than the limit plus one byte, whatever
 * the file's reported size (devices and /proc files report 0).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from "node:fs";
import { isAbsolute, relative, sep } from "node:path";
import { UserError } from "./errors.js";

/**
 * Why a file could not be read. `message` is a phrase to follow the file name ("is not a regular
 * file: it is a directory", "the file is 5.0 MiB"), or for `io` the errno in words.
 */
export class FileReadError extends UserError {
  constructor(
    message: string,
    readonly reason: "missing" | "not-regular" | "too-large" | "io",
    /** The errno code (`EACCES`) for `missing` and `io`. */
    readonly code?: string,
  ) {
    super({ message });
    this.name = "FileReadError";
  }
}

/** What kind of file this is, for "is not a regular file: it is a character device". */
export function describeFileType(stat: Stats): string {
  if (stat.isDirectory()) return "directory";
  if (stat.isCharacterDevice()) return "character device";
  if (stat.isBlockDevice()) return "block device";
  if (stat.isFIFO()) return "named pipe (FIFO)";
  if (stat.isSocket()) return "socket";
  if (stat.isSymbolicLink()) return "symbolic link";
  return "special file";
}

/** Reads the regular file at `path` (links followed), refusing more than `maxBytes`. */
export function readRegularFile(path: string, maxBytes: number): Buffer {
  // The type is checked before opening: opening a FIFO for reading blocks until a writer comes.
  const before = statOrThrow(path);
  if (!before.isFile()) {
    throw new FileReadError(`is not a regular file: it is a ${describeFileType(before)}`, "not-regular");
  }
  tooLargeCheck(before.size, maxBytes);
  let fd: number;
  try {
    // O_NONBLOCK: should the path have been swapped for a FIFO since, open does not wait.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    throw ioError(error);
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) {
      throw new FileReadError(`is not a regular file: it is a ${describeFileType(opened)}`, "not-regular");
    }
    const chunks: Buffer[] = [];
    let total = 0;
    const buffer = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const want = Math.min(buffer.length, maxBytes + 1 - total);
      let n: number;
      try {
        n = readSync(fd, buffer, 0, want, null);
      } catch (error) {
        throw ioError(error);
      }
      if (n === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
      total += n;
      if (total > maxBytes) {
        // The size said otherwise (a /proc file says 0), so the real size is unknown.
        if (opened.size > maxBytes) tooLargeCheck(opened.size, maxBytes);
        throw new FileReadError(`the file is over ${formatSize(maxBytes)}`, "too-large");
      }
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

function statOrThrow(path: string): Stats {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new FileReadError("not found", "missing", code);
    throw ioError(error);
  }
}

function tooLargeCheck(size: number, maxBytes: number): void {
  if (size <= maxBytes) return;
  throw new FileReadError(`the file is ${formatSize(size)}`, "too-large");
}

function formatSize(bytes: number): string {
  const mib = bytes / 1024 / 1024;
  return Number.isInteger(mib) ? `${mib} MiB` : `${mib.toFixed(1)} MiB`;
}

function ioError(error: unknown): FileReadError {
  const e = error as NodeJS.ErrnoException;
  const code = typeof e.code === "string" ? e.code : undefined;
  return new FileReadError(describeErrno(code), "io", code);
}

const ERRNO_WORDS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ENOTDIR: "a part of the path is not a directory",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "the name is too long",
  EIO: "input/output error",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
  EDQUOT: "disk quota exceeded",
  EEXIST: "already exists",
  ENOENT: "no such file or directory",
  EMFILE: "too many open files",
};

/** `EACCES` -> `permission denied (EACCES)`: the words, and the code to search for. */
export function describeErrno(code: string | undefined): string {
  if (!code) return "unknown error";
  const words = ERRNO_WORDS[code];
  return words ? `${words} (${code})` : code;
}

/** `path` (absolute) as the user would type it from `cwd`: relative when inside it, else absolute. */
export function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  const outside = rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel);
  return rel && !outside ? rel : path;
}
