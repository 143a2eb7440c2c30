import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

/** A temporary directory removed when the test file finishes. */
export function tempDir(prefix = "mirrord-up-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `mirrord-up.yaml` (or `name`) into a fresh temp dir and returns the dir. */
export function withConfig(text: string, name = "mirrord-up.yaml"): string {
  const dir = tempDir();
  writeFileSync(join(dir, name), text);
  return dir;
}
