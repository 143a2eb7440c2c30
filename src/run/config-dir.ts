/**
 * The private directory holding the generated mirrord.json files: 0700, files 0600, removed on
 * every exit path (normal end, signals, a crash of mirrord-up through `process.on("exit")`, and
 * by the watchdog if mirrord-up is killed outright).
 */
import { chmodSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../core/errors.js";
import { describeErrno } from "../core/files.js";

export class PrivateConfigDir {
  readonly path: string;
  private removed = false;
  private writes = 0;

  constructor() {
    const parent = tmpdir();
    try {
      this.path = mkdtempSync(join(parent, "mirrord-up-config-"));
      chmodSync(this.path, 0o700);
    } catch (error) {
      throw tmpdirProblem(`cannot create a private directory in ${parent}`, error);
    }
  }

  /** Writes `<name>.json` with mode 0600 and returns its path. */
  write(name: string, contents: string): string {
    const file = join(this.path, `${name}.json`);
    try {
      // A restart writes the file again: a new file renamed over the old one, so that a mirrord
      // starting at that moment reads either the old or the new config, never half of one.
      const fresh = join(this.path, `.${name}.json.${process.pid}.${++this.writes}`);
      writeFileSync(fresh, contents, { mode: 0o600, flag: "wx" });
      renameSync(fresh, file);
    } catch (error) {
      throw tmpdirProblem(`cannot write ${file}`, error);
    }
    return file;
  }

  remove(): void {
    if (this.removed) return;
    this.removed = true;
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** The environment, not the config, is at fault: say which directory, why, and what to change. */
function tmpdirProblem(what: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  return new UserError({
    message: `${what} for the mirrord configs: ${describeErrno(code)}; nothing was started`,
    hint: process.env.TMPDIR
      ? "the directory comes from TMPDIR: point TMPDIR at an existing, writable directory with free space"
      : "TMPDIR is not set, so this is the system's temporary directory: free space there, or set TMPDIR to a writable directory",
  });
}
