/**
 * The private directory holding the generated mirrord.json files: 0700, files 0600, removed on
 * every exit path (normal end, signals, a crash of mirrord-up through `process.on("exit")`, and
 * by the watchdog if mirrord-up is killed outright).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export class PrivateConfigDir {
  readonly path: string;
  private removed = false;

  constructor() {
    this.path = mkdtempSync(join(tmpdir(), "mirrord-up-"));
    chmodSync(this.path, 0o700);
  }

  /** Writes `<name>.json` with mode 0600 and returns its path. */
  write(name: string, contents: string): string {
    const file = join(this.path, `${name}.json`);
    writeFileSync(file, contents, { mode: 0o600, flag: "wx" });
    return file;
  }

  remove(): void {
    if (this.removed) return;
    this.removed = true;
    rmSync(this.path, { recursive: true, force: true });
  }
}
