/**
 * How a session's program is started so that no moment exists in which it runs unrecorded.
 *
 * The session's process group is created by a tiny `/bin/sh` launcher that first blocks reading
 * its stdin, a pipe from mirrord-up. mirrord-up records the new group with the watchdog (the record
 * is in the watchdog's pipe, see watchdog-client.ts), and only then writes `go`: the launcher
 * `exec`s the real program in the same process (same pid, same group) with stdin from /dev/null.
 * If mirrord-up dies before that, the launcher reads end-of-file and exits without running
 * anything; if it dies after, the watchdog knows the group. Either way nothing is left running.
 *
 * The program and its arguments are passed as positional parameters, never as shell text.
 */
import { type ChildProcess, spawn } from "node:child_process";

/** Exit status of a launcher that was never released (mirrord-up or its watchdog went away). */
export const NOT_RELEASED_STATUS = 125;

/** Waits for `go` on stdin, or exits with NOT_RELEASED_STATUS; leaves no variable. */
const LAUNCH_SCRIPT = `IFS= read -r mirrord_up_gate && [ "$mirrord_up_gate" = go ] || exit ${NOT_RELEASED_STATUS}; unset mirrord_up_gate; exec "$@" </dev/null`;

/**
 * The same gate on fd 3, for a program that keeps mirrord-up's stdin, stdout and stderr (`run`):
 * fd 3 is closed before the program starts.
 */
const ATTACHED_LAUNCH_SCRIPT = `IFS= read -r mirrord_up_gate <&3 && [ "$mirrord_up_gate" = go ] || exit ${NOT_RELEASED_STATUS}; unset mirrord_up_gate; exec "$@" 3<&-`;

export interface Launched {
  child: ChildProcess;
  /** Lets the program run; call once its group is recorded. */
  release(): void;
  /** Never lets it run: the launcher exits with NOT_RELEASED_STATUS. */
  abort(): void;
}

/**
 * Starts `file args` held at the gate, in its own process group; the program's stdin is /dev/null.
 * `attached`: in mirrord-up's own process group instead, with mirrord-up's stdin, stdout and
 * stderr, as a shell runs a command in the foreground: the terminal's Ctrl-C reaches the program
 * itself, and it can read the terminal.
 */
export function launchHeld(
  file: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; attached?: boolean },
): Launched {
  const attached = options.attached === true;
  const script = attached ? ATTACHED_LAUNCH_SCRIPT : LAUNCH_SCRIPT;
  const child = spawn("/bin/sh", ["-c", script, "mirrord-up-launch", file, ...args], {
    cwd: options.cwd,
    env: options.env,
    // Own process group (unless attached): the terminal's Ctrl-C reaches mirrord-up only, which
    // then stops each group as a whole (grandchildren included).
    detached: !attached,
    stdio: attached ? ["inherit", "inherit", "inherit", "pipe"] : ["pipe", "pipe", "pipe"],
  });
  const gate = (attached ? child.stdio[3] : child.stdin) as NodeJS.WritableStream | null;
  // A launcher gone before `go` (EPIPE) ends as it would anyway: the session sees its exit.
  gate?.on("error", () => {});
  return {
    child,
    release: () => gate?.end("go\n"),
    abort: () => gate?.end(),
  };
}
