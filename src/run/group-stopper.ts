/**
 * Stopping sessions' process groups: SIGTERM to their groups, wait until each group is empty (not
 * just its leader) for up to the timeout, then SIGKILL what is left. Processes of a session that
 * left its group (`setsid`) are found by the marker in their environment and stopped the same way
 * once the groups are empty. A second signal (`force`) kills at once. Stopping never waits on our
 * own output, and gives up one second after SIGKILL on anything that still will not end.
 */
import { type DependencyGraph, stopGroups } from "../plan/dependencies.js";
import { formatDuration } from "../text/duration.js";
import type { OutputMux } from "./output.js";
import { isLiving, livingGroups, markedProcesses, signalGroup, signalProcess } from "./process-groups.js";
import type { SupervisedSession } from "./session.js";

const POLL_MS = 20;
/** After SIGKILL, how long to wait for the kernel before giving up on a process (D state). */
const AFTER_KILL_MS = 1000;

export interface StopOptions {
  /** The end of the run: the extra groups (`mirrord ui`) and every marked stray go too. */
  everything?: boolean;
  /** A second Ctrl-C (`force`) kills at once; the default with `everything`. */
  forceable?: boolean;
}

/** What the supervisor asks of whoever stops sessions (a test passes a fake one). */
export interface SessionStopper {
  /** Resolves once the sessions' groups and strays are gone, or given up on after SIGKILL. */
  stop(sessions: readonly SupervisedSession[], options?: StopOptions): Promise<void>;
  /**
   * The end of the run: dependents first, each group stopped and waited for (with its own grace
   * period) before what it depends on. `graph`: each service's dependencies.
   */
  stopInDependencyOrder(sessions: readonly SupervisedSession[], graph: DependencyGraph): Promise<void>;
  /** A second signal: SIGKILL to everything now; forceable stops stop waiting for the grace period. */
  force(sessions: readonly SupervisedSession[]): void;
  /** `force` was called. */
  readonly isForced: boolean;
  /** Something ended: a stop in progress looks again now rather than at its next poll. */
  wake(): void;
  /** True while no stop has given up on a group or stray (nothing stuck in the kernel). */
  readonly stoppedEverything: boolean;
}

export interface GroupStopperOptions {
  /** Grace period between SIGTERM and SIGKILL. */
  timeoutMs: number;
  /** This run's id in the session marker (see `markedProcesses`). */
  runId: string;
  /** Other process groups to stop with the sessions at the end of the run (`mirrord ui`). */
  extraGroups?: readonly number[];
}

export class GroupStopper implements SessionStopper {
  private forced = false;
  /** Process groups (or strays) that did not end even after SIGKILL: the stop did not complete. */
  private readonly stuckGroups: number[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly options: GroupStopperOptions,
    private readonly mux: Pick<OutputMux, "notice">,
  ) {}

  get isForced(): boolean {
    return this.forced;
  }

  get stoppedEverything(): boolean {
    return this.stuckGroups.length === 0;
  }

  async stopInDependencyOrder(sessions: readonly SupervisedSession[], graph: DependencyGraph): Promise<void> {
    const groups = stopGroups(
      graph,
      sessions.filter((s) => !s.hasEnded).map((s) => s.name),
    );
    for (const group of groups.slice(0, -1)) {
      await this.stop(
        sessions.filter((s) => group.includes(s.name)),
        { forceable: true },
      );
    }
    const last = new Set(groups.at(-1) ?? []);
    // The last group also takes the ended sessions (their strays) and `mirrord ui`.
    await this.stop(
      sessions.filter((s) => last.has(s.name) || s.hasEnded),
      { everything: true },
    );
  }

  /**
   * SIGTERM the sessions' groups; wait for every leader, stream and group; then stop their
   * processes that left the groups; SIGKILL whatever is left after the timeout.
   */
  async stop(sessions: readonly SupervisedSession[], options: StopOptions = {}): Promise<void> {
    const everything = options.everything ?? false;
    const forceable = options.forceable ?? everything;
    const extra = everything ? (this.options.extraGroups ?? []) : [];
    const groups = () => [
      ...sessions.map((s) => s.pgid).filter((p): p is number => p !== undefined),
      ...extra,
    ];
    const strays = () =>
      everything
        ? markedProcesses(this.options.runId)
        : sessions.flatMap((s) => markedProcesses(this.options.runId, s.name));
    // Only groups that still have members: an emptied group's id may already belong to someone else.
    const alive = livingGroups(groups());
    for (const session of sessions)
      if (session.pgid !== undefined && alive.has(session.pgid)) session.signal("SIGTERM");
    for (const pgid of extra) if (alive.has(pgid)) signalGroup(pgid, "SIGTERM");
    const deadline = performance.now() + this.options.timeoutMs;
    const forced = () => forceable && this.forced;
    let killedAt = forced() ? performance.now() : undefined;
    let leftGroup: number[] | undefined;
    for (;;) {
      const groupsAlive = livingGroups(groups()).size > 0;
      if (!groupsAlive && leftGroup === undefined) {
        // The groups are empty; what still carries their marker left its group on purpose.
        leftGroup = strays();
        for (const pid of leftGroup) signalProcess(pid, killedAt === undefined ? "SIGTERM" : "SIGKILL");
      }
      leftGroup = leftGroup?.filter(isLiving);
      if (!groupsAlive && leftGroup?.length === 0 && sessions.every((s) => s.hasEnded)) return;
      if (killedAt === undefined && (forced() || performance.now() >= deadline)) {
        if (!forced()) {
          this.mux.notice(
            `mirrord-up: still running after ${formatDuration(this.options.timeoutMs)}, sending SIGKILL`,
            "warn",
          );
        }
        this.killAll(sessions, everything);
        killedAt = performance.now();
      }
      if (killedAt !== undefined && performance.now() - killedAt >= AFTER_KILL_MS) {
        // SIGKILL did not end everything in time (a process stuck in the kernel): stop waiting.
        const stuck = [...livingGroups(groups())];
        this.stuckGroups.push(...stuck);
        // Strays that outlived SIGKILL too: the watchdog gets another go at them.
        if ((leftGroup ?? []).some(isLiving)) this.stuckGroups.push(...(leftGroup ?? []));
        for (const session of sessions) session.abandon();
        if (stuck.length > 0) {
          this.mux.notice(
            `mirrord-up: process groups ${stuck.join(", ")} did not end after SIGKILL`,
            "error",
          );
        }
        return;
      }
      await this.sleepOrWake(POLL_MS);
    }
  }

  force(sessions: readonly SupervisedSession[]): void {
    if (this.forced) return;
    this.forced = true;
    this.killAll(sessions, true);
    this.wake();
  }

  wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }

  private killAll(sessions: readonly SupervisedSession[], everything: boolean): void {
    for (const session of sessions) session.signal("SIGKILL");
    if (!everything) {
      for (const session of sessions) {
        for (const pid of markedProcesses(this.options.runId, session.name)) signalProcess(pid, "SIGKILL");
      }
      return;
    }
    for (const pgid of this.options.extraGroups ?? []) signalGroup(pgid, "SIGKILL");
    for (const pid of markedProcesses(this.options.runId)) signalProcess(pid, "SIGKILL");
  }

  private sleepOrWake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
}
