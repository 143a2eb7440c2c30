/**
 * How a session's program is started so that no moment exists in which it runs unrecorded.
 *
 * The session's process group is created by a tiny `/bin/sh` launcher that first blocks reading a
 * pipe from mirrord-up (fd 3). mirrord-up records the new group with the watchdog, waits for its
 * acknowledgement, and only then writes `go`: the launcher `exec`s the real program in the same
 * process (same pid, same group). If mirrord-up dies before that, the launcher reads end-of-file
 * and exits without running anything; if it dies after, the watchdog knows the group. Either way
 * nothing is left running.
 *
 * The program and its arguments are passed as positional parameters, never as shell text.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Writable } from "node:stream";

/** Exit status of a launcher that was never released (mirrord-up or its watchdog went away). */
export const NOT_RELEASED_STATUS = 125;

const LAUNCH_SCRIPT = `IFS= read -r go <&3 && [ "$go" = go ] || exit ${NOT_RELEASED_STATUS}; exec 3<&-; exec "$@"`;

export interface Launched {
  child: ChildProcess;
  /** Lets the program run; call once its group is recorded. */
  release(): void;
  /** Never lets it run: the launcher exits with NOT_RELEASED_STATUS. */
  abort(): void;
}

/** Starts `file args` held at the gate, in its own process group, stdin from /dev/null. */
export function launchHeld(
  file: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Launched {
  const child = spawn("/bin/sh", ["-c", LAUNCH_SCRIPT, "mirrord-up-launch", file, ...args], {
    cwd: options.cwd,
    env: options.env,
    // Own process group: the terminal's Ctrl-C reaches mirrord-up only, which then stops each
    // group as a whole (grandchildren included).
    detached: true,
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  const gate = child.stdio[3] as Writable | null;
  gate?.on("error", () => {}); // a launcher already gone is reported by its exit
  return {
    child,
    release: () => gate?.end("go\n"),
    abort: () => gate?.end(),
  };
}
