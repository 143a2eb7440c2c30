/**
 * The dead man's switch. mirrord-up starts this tiny process first and keeps a pipe to its stdin,
 * telling it each session's process group as it starts. If mirrord-up disappears without saying
 * "done" (even by SIGKILL, which no handler can catch), the pipe closes and the watchdog stops the
 * recorded groups: SIGTERM, up to the grace period for them to empty, then SIGKILL; then it
 * removes the private config directory.
 *
 * It is a POSIX sh script rather than a second Node process: it boots in a millisecond and uses
 * about a megabyte, where Node costs ~40 ms of CPU and ~40 MiB while the sessions are starting.
 * (Its liveness check is `kill -0 -<pgid>`, which also counts zombies; on a machine whose PID 1
 * does not reap orphans that only makes this rare path wait the full grace period.)
 *
 * Protocol, one command per line: `group <pgid>`, `dir <path>`, `grace <ms>`, `done`.
 */
import { type ChildProcess, spawn } from "node:child_process";

const WATCHDOG_SCRIPT = `
trap '' INT HUP
groups=""; dir=""; grace_ms=10000; released=""
while read -r command value; do
  case "$command" in
    group) groups="$groups $value" ;;
    dir) dir=$value ;;
    grace) grace_ms=$value ;;
    done) released=yes ;;
  esac
done
[ -n "$released" ] && exit 0
for g in $groups; do kill -TERM -$g 2>/dev/null; done
waited=0
while [ "$waited" -lt "$grace_ms" ]; do
  alive=""
  for g in $groups; do kill -0 -$g 2>/dev/null && alive=yes; done
  [ -z "$alive" ] && break
  sleep 0.05
  waited=$((waited + 50))
done
for g in $groups; do kill -KILL -$g 2>/dev/null; done
[ -n "$dir" ] && rm -rf -- "$dir"
exit 0
`;

export class WatchdogClient {
  private readonly child: ChildProcess;

  constructor(graceMs: number, configDir: string, env: NodeJS.ProcessEnv) {
    this.child = spawn("/bin/sh", ["-c", WATCHDOG_SCRIPT, "mirrord-up-watchdog"], {
      // Its own group and no terminal: it must outlive a SIGKILL of mirrord-up's group.
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
      env,
    });
    this.child.unref();
    this.child.stdin?.on("error", () => {}); // the watchdog gone is not our error
    (this.child.stdin as unknown as { unref?: () => void })?.unref?.();
    this.send(`grace ${Math.round(graceMs)}`);
    this.send(`dir ${configDir}`);
  }

  /** Records a session's process group. */
  watchGroup(pgid: number): void {
    this.send(`group ${pgid}`);
  }

  /** Everything is stopped and cleaned up: the watchdog may exit without acting. */
  release(): void {
    this.send("done");
    this.child.stdin?.end();
  }

  private send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }
}
