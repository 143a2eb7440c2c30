/**
 * The set of sessions and its policies: start all in parallel, announce readiness, stop all when
 * one ends (or, with --keep-going, when all have ended), stop all on SIGINT/SIGTERM/SIGHUP, and
 * never return before every process group is empty.
 *
 * Stopping: SIGTERM to every group, wait until each group is empty (not just its leader) for up
 * to the timeout, then SIGKILL what is left. Processes of this run that left their group
 * (`setsid`) are found by the marker in their environment and stopped the same way once the
 * groups are empty. A second signal kills at once. Stopping never waits on our own output, and
 * gives up one second after SIGKILL on anything that still will not end.
 */
import type { OutputMux } from "./output.js";
import { isLiving, livingGroups, markedProcesses, signalGroup, signalProcess } from "./process-groups.js";
import { describeEnd, exitStatus, formatDuration, type Session } from "./session.js";

const POLL_MS = 20;
/** After SIGKILL, how long to wait for the kernel before giving up on a process (D state). */
const AFTER_KILL_MS = 1000;
const HANDLED_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export interface SupervisorOptions {
  /** Let the others run on when one ends; finish when all have ended. */
  keepGoing: boolean;
  /** Grace period between SIGTERM and SIGKILL. */
  timeoutMs: number;
  /** Header hint for the readiness banner; undefined when no service uses the session filter. */
  sessionHeader?: { name: string; value: string };
  /** Other process groups to stop with the sessions (`mirrord ui`). */
  extraGroups?: number[];
  /** This run's id in the session marker (see `markedProcesses`). */
  runId: string;
}

type StopCause =
  | { kind: "signal"; signal: NodeJS.Signals }
  | { kind: "session"; session: Session }
  | { kind: "output-closed" }
  | { kind: "all-ended" };

export class Supervisor {
  private readonly startedAt = performance.now();
  private stopCause?: StopCause;
  private forced = false;
  private firstFailure?: Session;
  private readonly listeners = new Map<NodeJS.Signals, () => void>();
  private wake: () => void = () => {};

  private sessions: Session[];

  constructor(
    sessions: Session[],
    private readonly mux: OutputMux,
    private readonly options: SupervisorOptions,
  ) {
    this.sessions = sessions;
  }

  /** The sessions are built with this supervisor's hooks, so they arrive after construction. */
  setSessions(sessions: Session[]): void {
    this.sessions = sessions;
  }

  /** Session hook: one became ready. */
  handleReady = (): void => {
    if (this.stopCause || !this.sessions.every((s) => s.isReady)) return;
    this.printBanner();
  };

  /** Session hook: one ended (its output is fully written by now). */
  handleEnd = (session: Session): void => {
    const result = session.result!;
    const failed = !result.stoppedByUs && exitStatus(result) !== 0;
    if (failed && !this.firstFailure) this.firstFailure = session;
    if (!result.stoppedByUs) {
      const text =
        result.beforeReady && result.error && session.plan.type !== "local"
          ? `${describeEnd(result)} before the session was ready: ${result.error}`
          : describeEnd(result);
      this.mux.status(session.name, text, failed ? "error" : "plain");
    }
    if (!this.stopCause) {
      if (!this.options.keepGoing) this.requestStop({ kind: "session", session });
      else if (this.sessions.every((s) => s.hasEnded)) this.requestStop({ kind: "all-ended" });
    }
    this.wake();
  };

  /** Starts every session and resolves with mirrord-up's exit code once all are gone. */
  async run(): Promise<number> {
    for (const signal of HANDLED_SIGNALS) {
      const listener = () => this.handleSignal(signal);
      this.listeners.set(signal, listener);
      process.on(signal, listener);
    }
    this.mux.onClosed(() => this.requestStop({ kind: "output-closed" }));
    try {
      for (const session of this.sessions) session.start();
      await this.until(() => this.stopCause !== undefined);
      await this.stopAll();
      this.printSummary();
      return this.exitCode();
    } finally {
      for (const [signal, listener] of this.listeners) process.off(signal, listener);
    }
  }

  private handleSignal(signal: NodeJS.Signals): void {
    if (!this.stopCause) {
      this.requestStop({ kind: "signal", signal });
      return;
    }
    if (!this.forced) {
      this.forced = true;
      this.mux.notice(`mirrord-up: ${signal} again, killing every session now`, "warn");
      this.killAll();
      this.wake();
    }
  }

  private requestStop(cause: StopCause): void {
    if (this.stopCause) return;
    this.stopCause = cause;
    const running = this.sessions.filter((s) => !s.hasEnded).length;
    if (cause.kind === "signal" && running > 0) {
      const seconds = this.options.timeoutMs / 1000;
      this.mux.notice(
        `mirrord-up: ${cause.signal}, stopping ${running} session${running === 1 ? "" : "s"} ` +
          `(up to ${seconds}s; press Ctrl-C again to force)`,
        "warn",
      );
    }
    this.wake();
  }

  /**
   * SIGTERM every group; wait for every leader, stream and group; then stop this run's processes
   * that left their groups; SIGKILL whatever is left after the timeout.
   */
  private async stopAll(): Promise<void> {
    // Only groups that still have members: an emptied group's id may already belong to someone else.
    const alive = livingGroups(this.trackedGroups());
    for (const session of this.sessions)
      if (session.pgid !== undefined && alive.has(session.pgid)) session.signal("SIGTERM");
    for (const pgid of this.options.extraGroups ?? []) if (alive.has(pgid)) signalGroup(pgid, "SIGTERM");
    const deadline = performance.now() + this.options.timeoutMs;
    let killedAt = this.forced ? performance.now() : undefined;
    let strays: number[] | undefined;
    for (;;) {
      const groupsAlive = livingGroups(this.trackedGroups()).size > 0;
      if (!groupsAlive && strays === undefined) {
        // The groups are empty; what still carries this run's marker left its group on purpose.
        strays = markedProcesses(this.options.runId);
        for (const pid of strays) signalProcess(pid, killedAt === undefined ? "SIGTERM" : "SIGKILL");
      }
      strays = strays?.filter(isLiving);
      if (!groupsAlive && strays?.length === 0 && this.sessions.every((s) => s.hasEnded)) return;
      if (killedAt === undefined && (this.forced || performance.now() >= deadline)) {
        if (!this.forced) {
          this.mux.notice(
            `mirrord-up: still running after ${formatDuration(this.options.timeoutMs)}, sending SIGKILL`,
            "warn",
          );
        }
        this.killAll();
        killedAt = performance.now();
      }
      if (killedAt !== undefined && performance.now() - killedAt >= AFTER_KILL_MS) {
        this.abandonTheRest();
        return;
      }
      await this.sleepOrWake(POLL_MS);
    }
  }

  private trackedGroups(): number[] {
    return [
      ...this.sessions.map((s) => s.pgid).filter((p): p is number => p !== undefined),
      ...(this.options.extraGroups ?? []),
    ];
  }

  /** SIGKILL did not end everything in time (a process stuck in the kernel): report, stop waiting. */
  private abandonTheRest(): void {
    const stuck = [...livingGroups(this.trackedGroups())];
    for (const session of this.sessions) session.abandon();
    if (stuck.length > 0) {
      this.mux.notice(`mirrord-up: process groups ${stuck.join(", ")} did not end after SIGKILL`, "error");
    }
  }

  private killAll(): void {
    for (const session of this.sessions) session.signal("SIGKILL");
    for (const pgid of this.options.extraGroups ?? []) signalGroup(pgid, "SIGKILL");
    for (const pid of markedProcesses(this.options.runId)) signalProcess(pid, "SIGKILL");
  }

  private printBanner(): void {
    const n = this.sessions.length;
    const took = formatDuration(performance.now() - this.startedAt);
    this.mux.notice(`mirrord-up: all ${n} session${n === 1 ? "" : "s"} ready in ${took}`, "ok");
    const header = this.options.sessionHeader;
    if (header) {
      const line = `${header.name}: ${header.value}`;
      this.mux.notice(`  send requests with the header  ${line}`);
      this.mux.notice(`  e.g.  curl -H ${shellQuote(line)} http://<service>/`);
    }
  }

  private printSummary(): void {
    if (this.mux.isClosed) return;
    const width = Math.max(...this.sessions.map((s) => s.name.length));
    this.mux.notice("mirrord-up: summary", "dim");
    for (const session of this.sessions) {
      const r = session.result;
      const how = r ? describeEnd(r) : "never started";
      const ran = r ? ` after ${formatDuration(r.durationMs)}` : "";
      this.mux.notice(`  ${session.name.padEnd(width)}  ${how}${ran}`);
    }
  }

  /**
   * 0 when the user stopped it (a signal, or the reader of our output went away) or nothing
   * failed; else the first failure's status (128+signal); 1 when our own output failed.
   */
  private exitCode(): number {
    if (this.firstFailure?.result) return exitStatus(this.firstFailure.result);
    // Our own output failed (a full disk): the run did not do its job, though no service failed.
    return this.mux.failed ? 1 : 0;
  }

  private until(condition: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (condition()) resolve();
        else this.wake = check;
      };
      check();
    });
  }

  private sleepOrWake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Quotes for a POSIX shell, for the copy-paste curl example. */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
