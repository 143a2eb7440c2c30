/**
 * The dead man's switch. mirrord-up starts this tiny process first and keeps a pipe to its stdin.
 * Every session's process group is recorded with it *before* the session's program runs: the
 * session is started through a launcher held until the group's record is in the watchdog's pipe
 * (see `launcher.ts`). No acknowledgement is needed: once `write(2)` has put the line in the pipe,
 * the watchdog reads it before it can see end-of-file, whenever mirrord-up dies. If mirrord-up
 * disappears without saying "done" (even by SIGKILL, which no handler can catch), the pipe closes
 * and the watchdog stops what it recorded: SIGTERM to each group and to each process that carries
 * this run's session marker in its environment but left its group (`setsid` daemons), up to the
 * grace period for them to end, then SIGKILL; then it removes the private config directory.
 *
 * It is a POSIX sh script rather than a second Node process: it boots in a millisecond and uses
 * about a megabyte, where Node costs ~40 ms of CPU and ~40 MiB while the sessions are starting.
 *
 * Nothing from the environment or the file system is interpolated into the script's text: the
 * grace period, the directory and the run id are arguments, and every line read from the pipe is
 * checked (a group id must be digits) before it is used.
 *
 * Protocol on stdin, one command per line: `group <pgid>`, `forget <pgid>` (the group is empty; its
 * id may be reused), `done`.
 */
import { type ChildProcess, spawn } from "node:child_process";

export const WATCHDOG_SCRIPT = `
trap '' INT HUP PIPE
grace_ms=$1 dir=$2 run=$3
case $grace_ms in ''|*[!0-9]*) grace_ms=10000 ;; esac
case $run in ''|*[!0-9a-f]*) run="" ;; esac
case $dir in /*) ;; *) dir="" ;; esac
groups=" " released=""
while IFS=' ' read -r command value extra; do
  [ "$command" = done ] && released=yes && continue
  # A group id is a number above 1: "-0" is our own group, "-1" every process we may signal.
  case $value in ''|0*|1|*[!0-9]*) continue ;; esac
  case $command in
    group) groups="$groups$value " ;;
    forget) kept=" "; for g in $groups; do [ "$g" = "$value" ] || kept="$kept$g "; done; groups=$kept ;;
  esac
done
[ -n "$released" ] && exit 0
strays=""
if [ -n "$run" ]; then
  for f in $(grep -lsz "^MIRRORD_UP_SESSION=$run:" /proc/[0-9]*/environ 2>/dev/null); do
    p=\${f#/proc/}; p=\${p%/environ}
    case $p in ''|*[!0-9]*) ;; *) strays="$strays $p" ;; esac
  done
fi
for g in $groups; do kill -TERM -$g 2>/dev/null; done
for p in $strays; do kill -TERM $p 2>/dev/null; done
waited=0
while [ "$waited" -lt "$grace_ms" ]; do
  alive=""
  for g in $groups; do kill -0 -$g 2>/dev/null && alive=yes; done
  for p in $strays; do kill -0 $p 2>/dev/null && alive=yes; done
  [ -z "$alive" ] && break
  sleep 0.05
  waited=$((waited + 50))
done
for g in $groups; do kill -KILL -$g 2>/dev/null; done
for p in $strays; do kill -KILL $p 2>/dev/null; done
[ -n "$dir" ] && rm -rf -- "$dir"
exit 0
`;

/**
 * How many groups one write records while a pass starts many sessions. One write per pass left
 * half a core idle while the launchers were spawned (the spawning waits for each child's `exec`),
 * and released every program at the end; one write per group woke the watchdog each time
 * (bench/README.md, fourth and fifth passes).
 */
export const RECORDS_PER_WRITE = 16;

/** Records process groups somewhere that outlives mirrord-up. */
export interface GroupRegistry {
  /**
   * Records `pgid`, then calls `then`: without an argument once the record can no longer be lost,
   * with the reason when it cannot be made (the watchdog is gone). The groups registered in one
   * synchronous pass (a start of many sessions) are recorded together, RECORDS_PER_WRITE at a time
   * and the rest when the pass is over, in a microtask: their programs are released without a turn
   * of the event loop, the first ones while the launchers of the rest are still being spawned.
   */
  register(pgid: number, then: (error?: Error) => void): void;
  /** The group is empty: stop tracking it (its id may be reused by an unrelated process). */
  forget(pgid: number): void;
}

export class WatchdogClient implements GroupRegistry {
  private readonly child: ChildProcess;
  private gone?: Error;

  /**
   * @param runId lower-case hex; processes whose environment holds `MIRRORD_UP_SESSION=<runId>:...`
   *   are this run's, even after they left their process group.
   */
  constructor(graceMs: number, configDir: string, runId: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(
      "/bin/sh",
      ["-c", WATCHDOG_SCRIPT, "mirrord-up-watchdog", String(Math.round(graceMs)), configDir, runId],
      {
        // Its own group and no terminal: it must outlive a SIGKILL of mirrord-up's group.
        detached: true,
        stdio: ["pipe", "ignore", "ignore"],
        env,
      },
    );
    this.child.unref();
    this.child.stdin?.on("error", () => {}); // the watchdog gone is reported through `exit`
    (this.child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.child.on("error", (error) => {
      this.gone ??= new Error(`the watchdog could not start: ${error.message}`);
    });
    this.child.on("exit", () => {
      this.gone ??= new Error("the watchdog exited");
    });
  }

  /** Groups waiting for the write that records them all (see `register`). */
  private pending: { pgid: number; then: (error?: Error) => void }[] = [];

  register(pgid: number, then: (error?: Error) => void): void {
    this.pending.push({ pgid, then });
    if (this.pending.length >= RECORDS_PER_WRITE) this.flush();
    else if (this.pending.length === 1) queueMicrotask(() => this.flush());
  }

  /**
   * Records the group of a process that runs already (not held by a launcher, e.g. `mirrord ui`)
   * at once, with whatever is waiting: no moment of the pass goes by with it unrecorded.
   */
  registerRunning(pgid: number): void {
    this.register(pgid, () => {});
    this.flush();
  }

  /**
   * One write for the groups waiting (up to RECORDS_PER_WRITE): each write wakes the watchdog (it
   * reads a byte at a time), and on a busy machine each wake-up cost the start of 100 sessions
   * ~1.7 ms (bench/README.md).
   */
  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    // Every held program is released or aborted, even if one callback throws (rethrown after).
    const settle = (error?: Error) => {
      let thrown: unknown;
      for (const { then } of batch) {
        try {
          then(error);
        } catch (caught) {
          thrown ??= caught;
        }
      }
      if (thrown !== undefined) throw thrown;
    };
    const stdin = this.child.stdin;
    if (this.gone || !stdin?.writable) {
      settle(this.gone ?? new Error("the watchdog exited"));
      return;
    }
    let answered = false;
    const answer = (error?: Error | null) => {
      if (answered) return;
      answered = true;
      settle(error ? (this.gone ?? new Error(`the watchdog exited (${error.message})`)) : undefined);
    };
    stdin.write(batch.map(({ pgid }) => `group ${pgid}\n`).join(""), answer);
    // Nothing left in Node's queue and no error: write(2) took the lines, they are in the pipe.
    if (stdin.writableLength === 0 && !stdin.errored) answer();
  }

  forget(pgid: number): void {
    this.send(`forget ${pgid}`);
  }

  /** Everything is stopped and cleaned up: the watchdog may exit without acting. */
  release(): void {
    this.send("done");
    this.child.stdin?.end();
  }

  private send(line: string): void {
    if (this.child.stdin?.writable) this.child.stdin.write(`${line}\n`);
  }
}
