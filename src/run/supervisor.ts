/**
 * The set of services and its policies. Each service (a `ServiceSlot`, state in
 * `service-state.ts`) runs one session at a time; the supervisor starts them, announces
 * readiness, stops everything when one ends on its own (or, with --keep-going, when none is left
 * running), stops everything on SIGINT/SIGTERM/SIGHUP, and never returns before every process
 * group is empty. While it runs it can be steered: stop, start or restart single services, reload
 * the file (`run-control.ts` offers these to the socket and the dashboard).
 *
 * Lifecycles are small modules it consults: the restart policy (`restart-policy.ts`) when a
 * session ends, the dependency gate (`plan/dependencies.ts`, `gate` in `service-state.ts`) before
 * one starts, and the readiness check (`readiness-probe.ts`, run by the session) before one counts
 * as ready. Jobs (`one_shot`, or waited on with service_completed_successfully) end the run only
 * if they fail. Stopping process groups is the stopper's (`group-stopper.ts`); what happened is
 * recorded in the event log (`event-log.ts`).
 */
import type { SessionPlan } from "../plan/assemble.js";
import { jobNames } from "../plan/dependencies.js";
import { describeCheck, type Lifecycle } from "../plan/lifecycle.js";
import { byCodeUnit } from "../text/compare.js";
import { formatDuration } from "../text/duration.js";
import { bannerLines } from "./banner.js";
import type { ActionResult, RunEvent } from "./control-types.js";
import type { EventLog } from "./event-log.js";
import type { SessionStopper } from "./group-stopper.js";
import type { OutputMux } from "./output.js";
import { describeAttempt, nextRestart } from "./restart-policy.js";
import { gate, readyAfterMs, ServiceSlot, type StopIntent } from "./service-state.js";
import { countOf } from "./service-words.js";
import {
  describeEnd,
  exitStatus,
  type SessionHooks,
  type SessionResult,
  type SupervisedSession,
} from "./session.js";

const HANDLED_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export interface SupervisorOptions {
  /** Let the others run on when one ends; finish when none is left running. */
  keepGoing: boolean;
  /** Grace period between SIGTERM and SIGKILL (said when a stop begins; the stopper keeps it). */
  timeoutMs: number;
  /** Header hint for the readiness banner; undefined when no service uses the session filter. */
  sessionHeader?: { name: string; value: string };
  /** The dashboard's address for the banner, when it is served by then. */
  dashboardUrl?: () => string | undefined;
}

/** The timers the restart backoff waits with, and the clock the banner's time is read from. */
export interface Clock {
  /** Milliseconds, monotonic (`performance.now`). */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What the supervisor reaches the world through; a test passes fakes for each. */
export interface SupervisorBoundaries {
  createSession: SessionFactory;
  planner: Planner;
  stopper: SessionStopper;
  events: EventLog;
  clock?: Clock;
}

/** What the supervisor writes to: status lines and notices (the output multiplexer). */
export type SupervisorOutput = Pick<
  OutputMux,
  "status" | "notice" | "assignNames" | "onClosed" | "isClosed" | "failed"
>;

/** Re-reads and re-plans the file for control actions; errors are formatted for the user. */
export type Planner = (
  services: readonly string[] | undefined,
) => Promise<{ ok: true; sessions: SessionPlan[] } | { ok: false; errors: string[] }>;

/** Creates (does not start) the session that runs `plan`. */
export type SessionFactory = (plan: SessionPlan, hooks: SessionHooks) => SupervisedSession;

/** Why a session starts again, for its start line: `restarted by request (pid 12 → 48)`. */
interface StartNote {
  what: string;
  /** Said before the pid: `on-failure, attempt 2`. */
  detail?: string;
  /** The pid of the session it replaces, when that one ran. */
  oldPid?: number;
}

type StopCause =
  | { kind: "signal"; signal: NodeJS.Signals }
  | { kind: "session"; session: SupervisedSession }
  | { kind: "output-closed" }
  | { kind: "request" }
  | { kind: "not-started" }
  | { kind: "failure" }
  | { kind: "all-ended" };

export class Supervisor {
  private readonly startedAt: number;
  private stopCause?: StopCause;
  private bannerShown = false;
  /** The exit status of the first failure (a session's status; 1 for a readiness timeout). */
  private failureStatus?: number;
  private readonly slots = new Map<string, ServiceSlot>();
  private readonly listeners = new Map<NodeJS.Signals, () => void>();
  private readonly endedListeners: (() => void)[] = [];
  /** Control actions run one at a time, in the order they came. */
  private actions: Promise<unknown> = Promise.resolve();
  /** Whoever waits for something to change (the run's end, a stop in progress). */
  private readonly waiters = new Set<() => void>();
  private readonly clock: Clock;

  constructor(
    plans: readonly SessionPlan[],
    private readonly mux: SupervisorOutput,
    private readonly options: SupervisorOptions,
    private readonly boundaries: SupervisorBoundaries,
  ) {
    this.clock = boundaries.clock ?? realClock;
    this.startedAt = this.clock.now();
    for (const plan of plans) this.slots.set(plan.name, new ServiceSlot(plan));
  }

  /** Starts every service and resolves with mirrord-up's exit code once all are gone. */
  async run(): Promise<number> {
    for (const signal of HANDLED_SIGNALS) {
      const listener = () => this.handleSignal(signal);
      this.listeners.set(signal, listener);
      process.on(signal, listener);
    }
    this.mux.onClosed(() => this.requestStop({ kind: "output-closed" }));
    try {
      for (const slot of this.sortedSlots()) this.launch(slot);
      this.advance();
      await this.until(() => this.stopCause !== undefined);
      await this.boundaries.stopper.stopInDependencyOrder(this.allSessions(), this.dependencyGraph());
      this.printSummary();
      return this.exitCode();
    } finally {
      for (const [signal, listener] of this.listeners) process.off(signal, listener);
      for (const listener of this.endedListeners.splice(0)) listener();
    }
  }

  // --- what the control facade calls ---------------------------------------------------------

  /** Every service, sorted by name: its plan, phase and current (or last) session. */
  services(): readonly ServiceSlot[] {
    return this.sortedSlots();
  }

  onEnded(listener: () => void): void {
    this.endedListeners.push(listener);
  }

  plans(): SessionPlan[] {
    return this.sortedSlots().map((slot) => slot.plan);
  }

  stop(services: readonly string[]): Promise<ActionResult> {
    if (services.length === 0) {
      this.shutdown();
      return Promise.resolve({ ok: true, messages: ["stopping every service"] });
    }
    return this.act(async () => {
      const unknown = this.unknownNames(services);
      if (unknown) return unknown;
      const named = services.map((name) => this.slots.get(name) as ServiceSlot);
      const slots = named.filter((s) => s.active);
      for (const slot of slots) this.stopOnPurpose(slot, "stop");
      await this.boundaries.stopper.stop(this.runningSessions(slots));
      const messages = services.map((name) => {
        const slot = this.slots.get(name) as ServiceSlot;
        if (!slots.includes(slot)) return `${name}: not running`;
        this.announce(slot, "stopped", "request", "stopped by request", undefined);
        return `${name}: stopped`;
      });
      // Services waiting on a stopped one will not get what they wait for.
      this.advance();
      return { ok: true, messages };
    });
  }

  start(services: readonly string[]): Promise<ActionResult> {
    return this.act(async () => {
      const idle = services.filter((name) => !this.slots.get(name)?.active);
      const messages = services
        .filter((name) => !idle.includes(name))
        .map((name) => `${name}: already ${this.slots.get(name)?.waiting ? "waiting to start" : "running"}`);
      if (idle.length === 0) return { ok: true, messages };
      // The plan holds what they depend on too: those are started when they are not running.
      const planned = await this.plan(idle);
      if (!planned.ok) return planned;
      const launched: ServiceSlot[] = [];
      for (const plan of planned.sessions) {
        let slot = this.slots.get(plan.name);
        if (slot?.active) continue;
        if (!slot) {
          slot = new ServiceSlot(plan);
          this.slots.set(plan.name, slot);
          this.mux.assignNames([plan.name]);
        }
        slot.plan = plan;
        // A start on request begins the policy's count afresh, as a restart does.
        slot.policyAttempts = 0;
        // A stopped service it depends on is started for it.
        this.launch(slot, idle.includes(plan.name) ? "request" : "dependency");
        launched.push(slot);
      }
      this.advance();
      for (const slot of launched) {
        const name = slot.plan.name;
        if (slot.running) {
          // Its start line and "started" event were written as it started.
          messages.push(`${name}: started (pid ${slot.session?.pid ?? "?"})`);
        } else if (slot.waiting) {
          messages.push(`${name}: waiting for ${this.describePending(slot)}`);
        } else {
          const reason = slot.phase.kind === "not-started" ? slot.phase.reason : slot.session?.result?.error;
          messages.push(`${name}: not started: ${reason ?? "?"}`);
        }
      }
      return { ok: true, messages };
    });
  }

  restart(services: readonly string[]): Promise<ActionResult> {
    return this.act(async () => {
      const unknown = this.unknownNames(services);
      if (unknown) return unknown;
      // The file first: an invalid file restarts nothing.
      const planned = await this.plan(services);
      if (!planned.ok) return planned;
      const plans = new Map(planned.sessions.map((p) => [p.name, p]));
      await this.replace(services, plans, "restart");
      return { ok: true, messages: services.map((name) => this.restartMessage(name)) };
    });
  }

  /**
   * `mirrord-up kill`: the signal goes to each named service's main process (or its group) and
   * nothing else is done: the end it may cause is handled as any end on its own (the restart
   * policy, or the end of the run), not as a stop on purpose.
   */
  kill(services: readonly string[], signal: NodeJS.Signals, group: boolean): Promise<ActionResult> {
    return this.act(async () => {
      const unknown = this.unknownNames(services);
      if (unknown) return unknown;
      const messages = services.map((name) => {
        const slot = this.slots.get(name) as ServiceSlot;
        const target = slot.running ? slot.session?.kill(signal, { group }) : undefined;
        if (target === undefined) return `${name}: not running`;
        const sent = `${signal} sent to ${group ? "process group" : "pid"} ${target}`;
        this.mux.status(name, `${sent} by request`, "warn");
        return `${name}: ${sent}`;
      });
      return { ok: true, messages };
    });
  }

  reload(): Promise<ActionResult> {
    return this.act(async () => {
      const planned = await this.plan(undefined);
      if (!planned.ok && this.stopCause) return planned;
      if (!planned.ok) {
        this.mux.notice("mirrord-up: reload: the file is invalid, nothing changed", "error");
        for (const error of planned.errors) this.mux.notice(error, "error");
        return planned;
      }
      const plans = new Map(planned.sessions.map((p) => [p.name, p]));
      const changed: string[] = [];
      const added: string[] = [];
      /** What a reload changed without a restart, and when that takes effect. */
      const applied: string[] = [];
      for (const [name, plan] of plans) {
        const slot = this.slots.get(name);
        if (!slot) added.push(name);
        else if (slot.running && processKey(slot.plan) !== processKey(plan)) changed.push(name);
        else {
          // Only its lifecycle changed, or it does not run: the next start uses the new plan.
          applied.push(...describeApplied(slot, plan));
          slot.plan = plan;
        }
      }
      const gone = [...this.slots.values()].filter((s) => !plans.has(s.plan.name));
      const removed = gone.filter((s) => s.active);
      for (const slot of gone) this.stopOnPurpose(slot, "remove");
      await this.boundaries.stopper.stop(this.runningSessions(removed));
      for (const slot of gone) this.slots.delete(slot.plan.name);
      for (const slot of removed)
        this.announce(slot, "removed", "reload", "stopped: no longer in the file", undefined);
      await this.replace(changed, plans, "reload");
      this.mux.assignNames(added);
      const addedSlots = added.map((name) => {
        const slot = new ServiceSlot(plans.get(name) as SessionPlan);
        this.slots.set(name, slot);
        this.boundaries.events.record(name, "added", "reload");
        this.launch(slot, "reload");
        return slot;
      });
      this.advance();
      const addedMessages = addedSlots.map((slot) => {
        const notStarted = `not started: ${slot.phase.kind === "not-started" ? slot.phase.reason : "?"}`;
        // Its events ("added", then "started" or why not) are recorded already; a start wrote its line.
        if (!slot.running) {
          const how = slot.waiting
            ? `added to the file, waiting for ${this.describePending(slot)}`
            : `added to the file, ${notStarted}`;
          this.mux.status(slot.plan.name, how, "dim");
        }
        return `${slot.plan.name}: ${slot.running ? "started" : slot.waiting ? "waiting" : notStarted} (added)`;
      });
      const messages = [
        ...changed.map((name) => this.restartMessage(name)),
        ...addedMessages,
        ...gone.map((s) => `${s.plan.name}: ${removed.includes(s) ? "stopped (removed)" : "removed"}`),
        ...applied,
      ];
      if (messages.length === 0) messages.push("nothing changed");
      this.mux.notice(`mirrord-up: reload: ${messages.join("; ")}`, "dim");
      return { ok: true, messages };
    });
  }

  shutdown(): void {
    this.requestStop({ kind: "request" });
  }

  /** Something the run depends on broke (its watchdog): every session is stopped, exit 1. */
  fail(reason: string): void {
    this.mux.notice(`mirrord-up: ${reason}; stopping every service`, "error");
    this.failureStatus ??= 1;
    this.requestStop({ kind: "failure" });
  }

  /** True once the run's stop has ended every process group (nothing stuck in the kernel). */
  get stoppedEverything(): boolean {
    return this.boundaries.stopper.stoppedEverything;
  }

  /** Services whose last output could not be read because our own output was blocked. */
  outputCut(): string[] {
    return [...this.slots.values()].filter((s) => s.session?.outputCut).map((s) => s.plan.name);
  }

  /** The env files the services read (absolute paths), for `up --watch`. */
  envFiles(): string[] {
    const files = new Set<string>();
    for (const slot of this.slots.values()) {
      const path = slot.plan.lifecycle.envFile?.path;
      if (path) files.add(path);
    }
    return [...files].sort();
  }

  // --- sessions ---------------------------------------------------------------------------

  private sortedSlots(): ServiceSlot[] {
    return [...this.slots.values()].sort((a, b) => byCodeUnit(a.plan.name, b.plan.name));
  }

  /**
   * Queues a service to start as soon as its dependencies allow (see `advance`); `by`: who asked
   * (none: the run's own start), said by its start line and its "started" event.
   */
  private launch(slot: ServiceSlot, by?: RunEvent["by"]): void {
    slot.phase = { kind: "waiting", announced: false, ...(by && { by }) };
  }

  /** mirrord-up stops `slot` on purpose: no wait or backoff goes on, its end is no failure. */
  private stopOnPurpose(slot: ServiceSlot, intent: StopIntent): void {
    this.cancelBackoff(slot);
    slot.phase = { kind: "stopping", intent };
  }

  private cancelBackoff(slot: ServiceSlot): void {
    if (slot.phase.kind === "backoff") this.clock.clearTimeout(slot.phase.timer);
  }

  private runningSessions(slots: readonly ServiceSlot[]): SupervisedSession[] {
    return slots.filter((s) => s.running).map((s) => s.session as SupervisedSession);
  }

  /**
   * Starts every waiting service whose dependencies' conditions hold, and gives up on those whose
   * conditions can no longer hold (a dependency failed): those are reported and, without
   * --keep-going, end the run as a failure would. Called whenever something changed.
   */
  private advance(): void {
    let changed = true;
    while (changed && !this.stopCause) {
      changed = false;
      for (const slot of this.sortedSlots()) {
        if (!slot.waiting || this.stopCause) continue;
        const verdict = this.gate(slot);
        if (verdict.go) {
          this.startSlot(slot);
          changed = true;
        } else if (verdict.blocked !== undefined) {
          slot.phase = { kind: "not-started", reason: verdict.blocked };
          changed = true;
          this.mux.status(slot.plan.name, `not started: ${verdict.blocked}`, "error");
          this.boundaries.events.record(
            slot.plan.name,
            "stopped",
            "dependency",
            `not started: ${verdict.blocked}`,
          );
          this.failureStatus ??= 1;
          if (!this.options.keepGoing) this.requestStop({ kind: "not-started" });
          else this.endIfIdle();
        }
      }
    }
    if (this.stopCause) return;
    // Said once per wait, after everything that could start did.
    for (const slot of this.sortedSlots()) {
      if (slot.phase.kind !== "waiting" || slot.phase.announced) continue;
      slot.phase = { ...slot.phase, announced: true };
      this.mux.status(slot.plan.name, `waiting for ${this.describePending(slot)}`, "dim");
    }
  }

  /** Nothing runs, waits to start or waits to restart any more: the run is over. */
  private endIfIdle(): void {
    if (!this.stopCause && ![...this.slots.values()].some((s) => s.active)) {
      this.requestStop({ kind: "all-ended" });
    }
  }

  /** Whether `slot` may start now, must wait, or can never start (and why). */
  private gate(slot: ServiceSlot) {
    return gate(slot, (name) => this.slots.get(name));
  }

  /** `db (ready), migrate (completed successfully)`: what a waiting service waits for. */
  private describePending(slot: ServiceSlot): string {
    const gate = this.gate(slot);
    const pending = gate.go ? [] : gate.pending;
    const words = {
      service_started: "started",
      service_ready: "ready",
      service_completed_successfully: "completed successfully",
    } as const;
    return pending.map((d) => `${d.service} (${words[d.condition]})`).join(", ") || "its dependencies";
  }

  /**
   * Starts `slot`'s session and writes its one start line, which says why (`note`, or who asked
   * for a queued start), its pid and, for a local service, what its readiness waits for. A
   * mirrord session started with the run has none: mirrord's own progress follows. Returns the
   * line (undefined when nothing started or none was written).
   */
  private startSlot(slot: ServiceSlot, note?: StartNote): string | undefined {
    const by = slot.phase.kind === "waiting" ? slot.phase.by : undefined;
    const session = this.boundaries.createSession(slot.plan, {
      onReady: this.handleReady,
      onEnd: this.handleEnd,
      onNotReady: this.handleNotReady,
    });
    slot.session = session;
    slot.phase = { kind: "started" };
    slot.startedAt = new Date();
    slot.notReady = undefined;
    session.start();
    // A restart records its own "restarted" event.
    if (!note) {
      this.boundaries.events.record(
        slot.plan.name,
        "started",
        by,
        session.pid !== undefined ? `pid ${session.pid}` : undefined,
      );
    }
    const local = slot.plan.type === "local";
    // It could not start (its end is reported), or mirrord's progress says it.
    if (session.pid === undefined || session.hasEnded || (!note && !by && !local)) return undefined;
    const what =
      note?.what ??
      (by === "request"
        ? "started by request"
        : by === "reload"
          ? "started: added to the file"
          : by === "dependency"
            ? "started for a service that needs it"
            : "started");
    const pid = note?.oldPid !== undefined ? `pid ${note.oldPid} → ${session.pid}` : `pid ${session.pid}`;
    const check = local ? slot.plan.lifecycle.readyWhen?.check : undefined;
    const line = `${what} (${note?.detail ? `${note.detail}, ` : ""}${pid})${check ? `, waiting for ${describeCheck(check)}` : ""}`;
    this.mux.status(slot.plan.name, line, "dim");
    return line;
  }

  /** Stops the running sessions of `names` and starts each again with its new plan. */
  private async replace(
    names: readonly string[],
    plans: Map<string, SessionPlan>,
    why: "restart" | "reload",
  ) {
    const slots = names.map((name) => this.slots.get(name) as ServiceSlot);
    const oldPids = new Map(slots.map((s) => [s, s.running ? s.session?.pid : undefined]));
    for (const slot of slots) this.stopOnPurpose(slot, why);
    await this.boundaries.stopper.stop(this.runningSessions(slots));
    for (const slot of slots) {
      slot.plan = plans.get(slot.plan.name) ?? slot.plan;
      // A restart on request or by a reload starts the policy's count afresh.
      slot.policyAttempts = 0;
      slot.restarts++;
      const by = why === "restart" ? "request" : "reload";
      const oldPid = oldPids.get(slot);
      this.startSlot(slot, { what: `restarted by ${by}`, oldPid });
      this.boundaries.events.record(slot.plan.name, "restarted", by, pidChange(oldPid, slot.session?.pid));
    }
    this.advance();
  }

  private restartMessage(name: string): string {
    const slot = this.slots.get(name);
    return `${name}: restarted (pid ${slot?.session?.pid ?? "?"})`;
  }

  /** Session hook: one became ready (mirrord's Ready!, then its `ready_when` check). */
  private handleReady = (session: SupervisedSession): void => {
    const slot = this.slots.get(session.name);
    if (slot?.session === session) {
      this.boundaries.events.record(
        session.name,
        "ready",
        undefined,
        // The duration `ps` shows, rounded the same way.
        `after ${formatDuration(readyAfterMs(session) ?? 0)}`,
      );
    }
    this.advance();
    this.maybeBanner();
  };

  /** Session hook: its `ready_when` check timed out. It is stopped, and counts as failed. */
  private handleNotReady = (session: SupervisedSession, reason: string): void => {
    const slot = this.slots.get(session.name);
    if (!slot || slot.session !== session || slot.phase.kind === "stopping" || this.stopCause) return;
    slot.notReady = reason;
    this.mux.status(session.name, reason, "error");
    void this.boundaries.stopper.stop([session]);
  };

  /** Session hook: one ended (its output is fully written by now). */
  private handleEnd = (session: SupervisedSession): void => {
    const slot = this.slots.get(session.name);
    this.wake();
    if (!slot || slot.session !== session || slot.phase.kind === "stopping") return;
    const result = session.result as SessionResult;
    const notReady = slot.notReady;
    // A readiness timeout is a failure (status 1), though mirrord-up stopped the process.
    const stoppedByUs = result.stoppedByUs && notReady === undefined;
    const status = notReady !== undefined ? 1 : exitStatus(result);
    const failed = !stoppedByUs && status !== 0;
    const job = this.jobs().has(session.name);
    if (!stoppedByUs) {
      if (status === 0) slot.completed = true;
      const text =
        notReady !== undefined
          ? `stopped: ${notReady}`
          : result.beforeReady && result.error && session.plan.type !== "local"
            ? `${describeEnd(result)} before the session was ready: ${result.error}`
            : `${describeEnd(result)}${job && status === 0 ? " (job done)" : ""}`;
      this.mux.status(session.name, text, failed ? "error" : "plain");
      if (result.hint) this.mux.status(session.name, `hint: ${result.hint}`, "warn");
      this.boundaries.events.record(
        session.name,
        failed ? "failed" : "exited",
        undefined,
        notReady ?? describeEnd(result),
      );
    }
    if (this.stopCause || stoppedByUs) return;
    const policy = slot.plan.lifecycle.restart;
    // Only time spent ready counts as a healthy run (which starts the backoff afresh).
    const uptime =
      session.readyAt !== undefined && notReady === undefined
        ? session.startedAt + result.durationMs - session.readyAt
        : 0;
    const decision = nextRestart(policy, slot.policyAttempts, status, uptime);
    if (decision) {
      // While the policy restarts it, its end does not end the run.
      slot.policyAttempts = decision.attempt;
      this.mux.status(
        session.name,
        `restarting in ${formatDuration(decision.delayMs)} (${describeAttempt(policy, decision.attempt)})`,
        "warn",
      );
      const timer = this.clock.setTimeout(
        () => this.restartByPolicy(slot, decision.attempt),
        decision.delayMs,
      );
      slot.phase = { kind: "backoff", attempt: decision.attempt, timer };
      this.advance();
      return;
    }
    if (failed) this.failureStatus ??= status;
    this.advance();
    if (this.stopCause) return;
    // A job's success is the end of its work, not of the run.
    if (!this.options.keepGoing && (failed || !job)) this.requestStop({ kind: "session", session });
    else this.endIfIdle();
    this.maybeBanner();
  };

  private restartByPolicy(slot: ServiceSlot, attempt: number): void {
    if (this.stopCause || this.slots.get(slot.plan.name) !== slot) return;
    const oldPid = slot.session?.pid;
    slot.restarts++;
    const detail = describeAttempt(slot.plan.lifecycle.restart, attempt);
    this.startSlot(slot, { what: "restarted", detail, oldPid });
    this.boundaries.events.record(
      slot.plan.name,
      "restarted",
      "policy",
      `${detail}, ${pidChange(oldPid, slot.session?.pid)}`,
    );
    this.advance();
  }

  private jobs(): Set<string> {
    return jobNames(
      [...this.slots.values()].map((s) => ({
        name: s.plan.name,
        oneShot: s.plan.lifecycle.oneShot,
        dependsOn: s.plan.lifecycle.dependsOn,
      })),
    );
  }

  private handleSignal(signal: NodeJS.Signals): void {
    if (!this.stopCause) {
      this.requestStop({ kind: "signal", signal });
      return;
    }
    if (!this.boundaries.stopper.isForced) {
      this.mux.notice(`mirrord-up: ${signal} again, killing every service now`, "warn");
      this.boundaries.stopper.force(this.allSessions());
      this.wake();
    }
  }

  private requestStop(cause: StopCause): void {
    if (this.stopCause) return;
    this.stopCause = cause;
    // Nothing more starts: waiting services stay unstarted, backoff waits are cancelled.
    for (const slot of this.slots.values()) {
      this.cancelBackoff(slot);
      // A cut wait leaves it unstarted; a cut backoff leaves its last session's end as it was.
      if (slot.phase.kind === "waiting") slot.phase = { kind: "idle" };
      else if (slot.phase.kind === "backoff") slot.phase = { kind: "started" };
    }
    const running = [...this.slots.values()].filter((s) => s.running).map((s) => s.plan);
    if ((cause.kind === "signal" || cause.kind === "request") && running.length > 0) {
      const seconds = this.options.timeoutMs / 1000;
      const why = cause.kind === "signal" ? cause.signal : "stop requested";
      this.mux.notice(
        `mirrord-up: ${why}, stopping ${countOf(running)} (up to ${seconds}s; press Ctrl-C again to force)`,
        "warn",
      );
    }
    this.wake();
  }

  private allSessions(): SupervisedSession[] {
    return [...this.slots.values()]
      .map((s) => s.session)
      .filter((s): s is SupervisedSession => s !== undefined);
  }

  /** Each service's dependencies, for stopping dependents first. */
  private dependencyGraph(): Map<string, string[]> {
    return new Map(
      [...this.slots.values()].map((s) => [s.plan.name, s.plan.lifecycle.dependsOn.map((d) => d.service)]),
    );
  }

  // --- events, output ----------------------------------------------------------------------

  private unknownNames(services: readonly string[]): ActionResult | undefined {
    const unknown = services.filter((name) => !this.slots.has(name));
    if (unknown.length === 0) return undefined;
    const known = [...this.slots.keys()].sort().join(", ");
    return {
      ok: false,
      errors: unknown.map((name) => `unknown service "${name}" (running services: ${known})`),
    };
  }

  /**
   * The file planned again for an action; a stop that began while it was read (a render takes
   * a while) wins: nothing of the action is applied.
   */
  private async plan(names: readonly string[] | undefined): ReturnType<Planner> {
    const planned = await this.boundaries.planner(names);
    if (this.stopCause) return { ok: false, errors: ["mirrord-up is stopping"] };
    return planned;
  }

  private act(action: () => Promise<ActionResult>): Promise<ActionResult> {
    const run = async (): Promise<ActionResult> => {
      if (this.stopCause) return { ok: false, errors: ["mirrord-up is stopping"] };
      return action();
    };
    const result = this.actions.then(run, run);
    this.actions = result;
    return result;
  }

  /**
   * A line in the `up` stream, and an event for the timeline whose `detail` adds only what its
   * kind and cause do not say.
   */
  private announce(
    slot: ServiceSlot,
    kind: RunEvent["kind"],
    by: RunEvent["by"],
    text: string,
    detail: string | undefined,
  ): void {
    this.mux.status(slot.plan.name, text, "dim");
    this.boundaries.events.record(slot.plan.name, kind, by, detail);
  }

  /**
   * The banner, once: when nothing waits to start or to restart and every running session is
   * ready (jobs that are done do not count).
   */
  private maybeBanner(): void {
    if (this.stopCause || this.bannerShown) return;
    const slots = [...this.slots.values()];
    if (slots.some((s) => s.phase.kind === "waiting" || s.phase.kind === "backoff")) return;
    const running = slots.filter((s) => s.running);
    if (running.length === 0 || !running.every((s) => s.session?.isReady)) return;
    this.bannerShown = true;
    const took = formatDuration(this.clock.now() - this.startedAt);
    const lines = bannerLines(
      running.map((s) => s.plan),
      this.options.sessionHeader,
      took,
      this.options.dashboardUrl?.(),
    );
    for (const line of lines) this.mux.notice(line.text, line.style);
  }

  private printSummary(): void {
    if (this.mux.isClosed) return;
    const slots = this.sortedSlots();
    const width = Math.max(...slots.map((s) => s.plan.name.length));
    this.mux.notice("mirrord-up: summary", "dim");
    for (const slot of slots) {
      const r = slot.session?.result;
      const how =
        slot.notReady ??
        (r
          ? describeEnd(r)
          : slot.phase.kind === "not-started"
            ? `not started: ${slot.phase.reason}`
            : "never started");
      const ran = r ? ` after ${formatDuration(r.durationMs)}` : "";
      const restarts = slot.restarts > 0 ? `, ${slot.restarts} restart${slot.restarts === 1 ? "" : "s"}` : "";
      this.mux.notice(`  ${slot.plan.name.padEnd(width)}  ${how}${ran}${restarts}`);
    }
  }

  /**
   * 0 when the user stopped it (a signal, `down`, or the reader of our output went away) or
   * nothing failed; else the first failure's status (128+signal; 1 for a readiness timeout or a
   * service that could not start because of a dependency); 1 when our own output failed.
   */
  private exitCode(): number {
    if (this.failureStatus !== undefined) return this.failureStatus;
    // Our own output failed (a full disk): the run did not do its job, though no service failed.
    return this.mux.failed ? 1 : 0;
  }

  /** Something changed (a session ended, a stop was requested): every waiter looks again. */
  private wake(): void {
    this.boundaries.stopper.wake();
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }

  private async until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise<void>((resolve) => this.waiters.add(resolve));
  }
}

/**
 * What a service's process is: its plan's observable parts (the command, its environment, the
 * mirrord config, where it runs, its env file's variables). A change means a restart; a change
 * of the rest of the lifecycle (restart policy, readiness, dependencies) does not.
 */
function processKey(plan: SessionPlan): string {
  return JSON.stringify([
    plan.type,
    plan.command,
    plan.env,
    plan.mirrordConfig,
    plan.context,
    plan.lifecycle.workingDir?.path,
    plan.lifecycle.envFile?.path,
    plan.lifecycle.envFile?.vars,
  ]);
}

/** The lifecycle settings a reload applies without a restart, named as in the file. */
const LIFECYCLE_SETTINGS: [string, (lifecycle: Lifecycle) => unknown][] = [
  ["restart", (l) => l.restart],
  ["depends_on", (l) => l.dependsOn.map((d) => [d.service, d.condition])],
  ["one_shot", (l) => l.oneShot],
  ["ready_when", (l) => l.readyWhen],
];

/**
 * What a reload changes of a service it does not restart, and when that takes effect
 * (`api: restart changed, applies when it next ends`); empty when its plan is the same.
 */
function describeApplied(slot: ServiceSlot, plan: SessionPlan): string[] {
  const name = plan.name;
  // It does not run (a running one whose process changed is restarted instead).
  if (processKey(slot.plan) !== processKey(plan)) {
    return [
      `${name}: changed, applies ${slot.phase.kind === "waiting" ? "when it starts" : "from its next start"}`,
    ];
  }
  const changed = LIFECYCLE_SETTINGS.filter(
    ([, read]) => JSON.stringify(read(slot.plan.lifecycle)) !== JSON.stringify(read(plan.lifecycle)),
  ).map(([setting]) => setting);
  const byWhen = new Map<string, string[]>();
  for (const setting of changed) {
    const when = appliesWhen(slot, setting);
    byWhen.set(when, [...(byWhen.get(when) ?? []), setting]);
  }
  return [...byWhen].map(
    ([when, settings]) =>
      `${name}: ${settings.join(", ").replace(/, ([^,]*)$/, " and $1")} changed, ${settings.length === 1 ? "applies" : "apply"} ${when}`,
  );
}

/** When a changed lifecycle setting takes effect, given what the service is doing. */
function appliesWhen(slot: ServiceSlot, setting: string): string {
  // A queued start is gated afresh at once; the rest is read when it starts.
  if (slot.phase.kind === "waiting") return setting === "depends_on" ? "now" : "when it starts";
  // The policy and whether it is a job are read when its session ends.
  if (slot.running && (setting === "restart" || setting === "one_shot")) return "when it next ends";
  return "from its next start";
}

/** `pid 12 → 48`, or `pid 48` when nothing ran before (a restart during a back-off wait). */
function pidChange(oldPid: number | undefined, pid: number | undefined): string {
  return oldPid !== undefined ? `pid ${oldPid} → ${pid ?? "?"}` : `pid ${pid ?? "?"}`;
}
