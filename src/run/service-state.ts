/**
 * A service's state, in one place: what the supervisor is doing with it (`ServicePhase`) and its
 * current or last session. What `ps` shows (`psState`), what a dependent's `depends_on` waits for
 * (`dependencyVerdict`) and whether the run is over for it (`ServiceSlot.active`) are all read
 * from here, so they cannot disagree.
 */
import type { SessionPlan } from "../plan/assemble.js";
import type { Dependency } from "../plan/lifecycle.js";
import type { RunEvent, ServiceState } from "./control-types.js";
import { describeEnd, exitStatus, type SessionResult, type SupervisedSession } from "./session.js";

/** Why mirrord-up stops a service's session on purpose: its end is then not a failure. */
export type StopIntent = "stop" | "restart" | "reload" | "remove";

/**
 * What the supervisor is doing with a service. Whether its session runs, is ready or how it
 * ended is the session's to say (`ServiceSlot.session`); the phase says what that means.
 */
export type ServicePhase =
  /** Nothing queued and nothing started: not launched yet, or its wait was cut by the run's stop. */
  | { kind: "idle" }
  /**
   * Queued: starts once its dependencies' conditions hold. `announced`: "waiting for" was said.
   * `by`: who queued it (none: the run's own start), for its "started" event.
   */
  | { kind: "waiting"; announced: boolean; by?: RunEvent["by"] }
  /** Its session was started: it runs, or it ended on its own (or at the run's end). */
  | { kind: "started" }
  /** Its session ended and the restart policy starts it again when `timer` fires. */
  | { kind: "backoff"; attempt: number; timer: unknown }
  /**
   * mirrord-up stops (or has stopped) its session on purpose: a restart or reload starts it
   * again; after a stop it stays here until started again; a removed one leaves the run.
   */
  | { kind: "stopping"; intent: StopIntent }
  /** It will not be started: a dependency's condition can no longer hold (`reason`). */
  | { kind: "not-started"; reason: string };

/** One service of the file: its plan, its phase and its current (or last) session. */
export class ServiceSlot {
  phase: ServicePhase = { kind: "idle" };
  session?: SupervisedSession;
  /** Its session's `ready_when` check failed: why. That session is stopped and counts as failed. */
  notReady?: string;
  /** Some session of it exited 0 in this run (for service_completed_successfully). */
  completed = false;
  restarts = 0;
  startedAt?: Date;
  /** Restarts by the policy in the current streak (reset by a start or restart on request, or a reload's restart). */
  policyAttempts = 0;

  constructor(public plan: SessionPlan) {}

  get running(): boolean {
    return this.session !== undefined && !this.session.hasEnded;
  }

  get waiting(): boolean {
    return this.phase.kind === "waiting";
  }

  /** Running, waiting to start, or waiting to restart: the run is not over for it. */
  get active(): boolean {
    return this.running || this.phase.kind === "waiting" || this.phase.kind === "backoff";
  }

  /** Stopped, or being stopped, by a restart or reload: it starts again. */
  get restarting(): boolean {
    const phase = this.phase;
    return (
      phase.kind === "backoff" ||
      (phase.kind === "stopping" && (phase.intent === "restart" || phase.intent === "reload"))
    );
  }
}

/** A service's state as `ps` and the dashboard show it. */
export function psState(slot: ServiceSlot): ServiceState {
  const phase = slot.phase;
  if (phase.kind === "waiting") return "waiting";
  if (slot.restarting) return "restarting";
  const session = slot.session;
  if (!session) return "stopped";
  if (!session.hasEnded) {
    if (slot.notReady !== undefined) return "failed";
    if (!session.isReady) return "starting";
    return slot.plan.type === "local" && !slot.plan.lifecycle.readyWhen ? "running" : "ready";
  }
  if (slot.notReady !== undefined) return "failed";
  if (phase.kind === "stopping" || session.result?.stoppedByUs) return "stopped";
  return session.result && exitStatus(session.result) === 0 ? "exited" : "failed";
}

/** Milliseconds from start to ready, as `ps` and the events say it; undefined until ready. */
export function readyAfterMs(session: SupervisedSession): number | undefined {
  return session.readyAt === undefined ? undefined : Math.round(session.readyAt - session.startedAt);
}

/**
 * Whether `dependency` (on `other`) holds for a dependent: true; false: may still hold (wait);
 * a string: can no longer hold, and why.
 */
export function dependencyVerdict(dependency: Dependency, other: ServiceSlot): boolean | string {
  const name = other.plan.name;
  const phase = other.phase;
  if (phase.kind === "not-started") return `${name} was not started`;
  // Stopped by request: `mirrord-up start` may bring it back, so its dependents wait for it.
  if (phase.kind === "waiting" || (phase.kind === "stopping" && phase.intent === "stop")) return false;
  const session = other.session;
  if (!session) return `${name} was not started`;
  const restarting = other.restarting;
  const ended = session.hasEnded;
  const why = () => `${name} ${other.notReady ?? describeEnd(session.result as SessionResult)}`;
  switch (dependency.condition) {
    case "service_started":
      if (session.pid !== undefined || !ended) return true;
      return restarting ? false : why();
    case "service_ready":
      if (session.isReady) return true;
      return !ended || restarting ? false : why();
    case "service_completed_successfully":
      if (other.completed) return true;
      return !ended || restarting ? false : why();
  }
}

/** What a waiting service's dependencies allow: start, wait, or never start (and why). */
export type Gate = { go: true } | { go: false; blocked?: string; pending: Dependency[] };

/** Whether `slot` may start now, must wait, or can never start; `slotOf` finds the others. */
export function gate(slot: ServiceSlot, slotOf: (name: string) => ServiceSlot | undefined): Gate {
  const pending: Dependency[] = [];
  for (const dependency of slot.plan.lifecycle.dependsOn) {
    const other = slotOf(dependency.service);
    // Not part of this run (removed from the file meanwhile): nothing to wait for.
    if (!other || other === slot) continue;
    const verdict = dependencyVerdict(dependency, other);
    if (verdict === true) continue;
    if (typeof verdict === "string") return { go: false, blocked: verdict, pending };
    pending.push(dependency);
  }
  return pending.length === 0 ? { go: true } : { go: false, pending };
}
