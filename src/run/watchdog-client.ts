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

const WATCHDOG_SCRIPT = `
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
 * How many groups one write records while a pass starts many sessions: each write wakes the
 * watchdog, and a write held for the whole pass would hold every program back until its end
 * (measurements: bench/HISTORY.md).
 */
export const RECORDS_PER_WRITE = 16;

/** Watchdogs started in one run at most: one that keeps dying is not chased for ever. */
const MAX_WATCHDOG_STARTS = 10;

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

/** What the run hears from its watchdog client. */
export interface WatchdogEvents {
  /** The watchdog died while the run goes on (`kill -9`); a new one has every live group. */
  replaced?: (reason: string) => void;
  /** No watchdog could be started again: the run must stop. */
  lost?: (reason: string) => void;
}

export class WatchdogClient implements GroupRegistry {
  private child!: ChildProcess;
  private gone?: Error;
  /** Every group recorded and not forgotten: what a replacement watchdog is told at once. */
  private readonly groups = new Set<number>();
  /** `release` or `abandon` was called: the watchdog's exit is expected. */
  private finished = false;
  private exited?: Promise<void>;

  /**
   * @param runId lower-case hex; processes whose environment holds `MIRRORD_UP_SESSION=<runId>:...`
   *   are this run's, even after they left their process group.
   */
  constructor(
    private readonly graceMs: number,
    private readonly configDir: string,
    private readonly runId: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly events: WatchdogEvents = {},
  ) {
    this.start();
  }

  /** The watchdog process's pid (undefined when it could not start). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  private start(): void {
    const child = spawn(
      "/bin/sh",
      [
        "-c",
        WATCHDOG_SCRIPT,
        "mirrord-up-watchdog",
        String(Math.round(this.graceMs)),
        this.configDir,
        this.runId,
      ],
      {
        // Its own group and no terminal: it must outlive a SIGKILL of mirrord-up's group.
        detached: true,
        stdio: ["pipe", "ignore", "ignore"],
        env: this.env,
      },
    );
    this.child = child;
    this.gone = undefined;
    child.unref();
    child.stdin?.on("error", () => {}); // the watchdog gone is reported through `exit`
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    child.on("error", (error) => {
      this.gone ??= new Error(`the watchdog could not start: ${error.message}`);
      this.onExit(child, this.gone.message);
    });
    this.exited = new Promise((resolve) => child.once("close", () => resolve()));
    child.on("exit", (code, signal) => {
      this.gone ??= new Error("the watchdog exited");
      this.onExit(child, signal ? `killed by ${signal}` : `exited with code ${code}`);
    });
    // A new watchdog knows every group at once (one write, before anything else is sent).
    if (this.groups.size > 0) this.send([...this.groups].map((g) => `group ${g}`).join("\n"));
  }

  /**
   * The watchdog ended while the run goes on: a new one is started and told every live group, so
   * that the sessions stay covered; the run hears of it, and of a failure to start one.
   */
  private onExit(child: ChildProcess, how: string): void {
    if (this.finished || child !== this.child) return;
    if (child.pid === undefined || this.restarts >= MAX_WATCHDOG_STARTS) {
      this.events.lost?.(`the watchdog ${how} and could not be started again`);
      return;
    }
    this.restarts++;
    try {
      this.start();
    } catch (error) {
      this.gone = error as Error;
      this.events.lost?.(`the watchdog ${how} and could not be started again: ${(error as Error).message}`);
      return;
    }
    if (this.child.pid === undefined) return; // reported through its `error` event
    this.events.replaced?.(`the watchdog ${how}; a new one (pid ${this.child.pid}) watches every service`);
  }

  private restarts = 0;

  /** Groups waiting for the write that records them all (see `register`). */
  private pending: { pgid: number; then: (error?: Error) => void }[] = [];

  register(pgid: number, then: (error?: Error) => void): void {
    this.groups.add(pgid);
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
   * ~1.7 ms (bench/HISTORY.md).
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
    const child = this.child;
    const stdin = child.stdin;
    if (this.gone || !stdin?.writable) {
      settle(this.gone ?? new Error("the watchdog exited"));
      return;
    }
    let answered = false;
    const answer = (error?: Error | null) => {
      if (answered) return;
      answered = true;
      if (!error) {
        settle();
        return;
      }
      // The watchdog died under the write: once its end is handled, a replacement holds these
      // groups (it is told every group when it starts), or there is none and they are aborted.
      const decide = () =>
        settle(
          this.child !== child && !this.gone
            ? undefined
            : (this.gone ?? new Error(`the watchdog exited (${error.message})`)),
        );
      if (child.exitCode !== null || child.signalCode !== null) decide();
      else child.once("exit", () => queueMicrotask(decide));
    };
    stdin.write(batch.map(({ pgid }) => `group ${pgid}\n`).join(""), answer);
    // Nothing left in Node's queue and no error: write(2) took the lines, they are in the pipe.
    if (stdin.writableLength === 0 && !stdin.errored) answer();
  }

  forget(pgid: number): void {
    this.groups.delete(pgid);
    this.send(`forget ${pgid}`);
  }

  /**
   * Everything is stopped and cleaned up: the watchdog may exit without acting. Only after a stop
   * that completed; otherwise `abandon`.
   */
  release(): void {
    this.finished = true;
    this.send("done");
    this.child.stdin?.end();
  }

  /**
   * The stop did not complete (it threw, or something would not end): the pipe is closed without
   * `done`, so the watchdog stops every recorded group and this run's marked processes, then
   * removes the config directory. Resolves when it has, or after its grace period and a margin.
   */
  abandon(): Promise<void> {
    this.finished = true;
    this.child.stdin?.end();
    const margin = new Promise<void>((resolve) => setTimeout(resolve, this.graceMs + 2_000).unref());
    return Promise.race([this.exited ?? Promise.resolve(), margin]);
  }

  private send(line: string): void {
    if (this.child.stdin?.writable) this.child.stdin.write(`${line}\n`);
  }
}
