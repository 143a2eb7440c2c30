/**
 * The dead man's switch. mirrord-up starts this tiny process first and keeps a pipe to its stdin,
 * telling it each session's process group as it starts. If mirrord-up disappears without saying
 * "done" (even by SIGKILL, which no handler can catch), the pipe closes and the watchdog stops the
 * recorded groups: SIGTERM, up to the grace period for them to empty, then SIGKILL; then it
 * removes the private config directory.
 *
 * Protocol, one command per line: `group <pgid>`, `dir <path>`, `grace <ms>`, `done`.
 */
import { rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { livingGroups, signalGroup } from "./process-groups.js";

const POLL_MS = 50;

export async function runWatchdog(input: NodeJS.ReadableStream): Promise<void> {
  const groups = new Set<number>();
  let dir: string | undefined;
  let graceMs = 10_000;
  let done = false;
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    const [command, value] = line.split(" ", 2);
    if (command === "group") groups.add(Number(value));
    else if (command === "dir") dir = value;
    else if (command === "grace") graceMs = Number(value);
    else if (command === "done") done = true;
  }
  if (done) return;
  await stopGroups(groups, graceMs);
  if (dir) rmSync(dir, { recursive: true, force: true });
}

async function stopGroups(groups: Set<number>, graceMs: number): Promise<void> {
  for (const pgid of groups) signalGroup(pgid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && livingGroups(groups).size > 0) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  for (const pgid of livingGroups(groups)) signalGroup(pgid, "SIGKILL");
}
