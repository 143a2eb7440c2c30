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
 *
 * When the program is this same shell running a script (`sh -c SCRIPT [NAME [ARG...]]`, where `sh`
 * is /bin/sh and SCRIPT does not look like an option), the gate goes in front of the script
 * instead and that shell runs it: one shell starts instead of two, as when concurrently or a
 * terminal runs `sh -c` (the start of 100 such services needs it: bench/RESULTS.md, "Which
 * optimisations stay"). The script sees the same `$0`, `$@` and line numbers (test/launcher.test.ts
 * compares it with `sh -c` run directly); `ps` shows the gate in front of it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { statSync } from "node:fs";
import { findExecutable } from "./find-executable.js";

/** Exit status of a launcher that was never released (mirrord-up or its watchdog went away). */
export const NOT_RELEASED_STATUS = 125;

/** Waits for `go` on stdin, or exits with NOT_RELEASED_STATUS; then stdin is /dev/null; leaves no variable. */
const GATE = `IFS= read -r mirrord_up_gate && [ "$mirrord_up_gate" = go ] || exit ${NOT_RELEASED_STATUS}; unset mirrord_up_gate; exec </dev/null;`;
const LAUNCH_SCRIPT = `${GATE} exec "$@"`;

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
  const [flag, script, ...rest] = args;
  // A SCRIPT starting with - or + is an option to sh (`sh -c -x` runs nothing): left to sh itself.
  const folded =
    !attached &&
    flag === "-c" &&
    script !== undefined &&
    !/^[-+]/.test(script) &&
    isLauncherShell(file, options);
  const argv = folded
    ? // `sh -c SCRIPT` without a name gives the script `$0` = the word it was started as.
      ["-c", `${GATE} ${script}`, ...(rest.length > 0 ? rest : [file])]
    : ["-c", attached ? ATTACHED_LAUNCH_SCRIPT : LAUNCH_SCRIPT, "mirrord-up-launch", file, ...args];
  const child = spawn("/bin/sh", argv, {
    // What `ps` shows as the program: the word the user wrote.
    argv0: folded ? file : undefined,
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

/** `file`'s answer for each PATH and directory (every service of a start asks the same). */
const launcherShell = new Map<string, boolean>();

/** Whether `file`, looked up as exec would, is the shell the launcher runs (/bin/sh). */
function isLauncherShell(file: string, options: { cwd: string; env: NodeJS.ProcessEnv }): boolean {
  if (file !== "sh" && file !== "/bin/sh") return false;
  const key = `${file}\0${options.env.PATH ?? ""}\0${options.cwd}`;
  let same = launcherShell.get(key);
  if (same === undefined) {
    same = sameFile(findExecutable(file, options.env.PATH, options.cwd), "/bin/sh");
    launcherShell.set(key, same);
  }
  return same;
}

function sameFile(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
