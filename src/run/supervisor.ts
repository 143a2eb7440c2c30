/**
 * The set of services and its policies. Each service (a `ServiceSlot`) runs one `Session` at a
 * time; the supervisor starts them, announces readiness, stops everything when one ends on its
 * own (or, with --keep-going, when none is left running), stops everything on SIGINT/SIGTERM/
 * SIGHUP, and never returns before every process group is empty. While it runs it can be steered
 * (`RunControl`): stop, start or restart single services, reload the file.
 *
 * Lifecycles are small modules it consults: the restart policy (`restart-policy.ts`) when a
 * session ends, the dependency gate (`plan/dependencies.ts`, `gate` below) before one starts, and
 * the readiness check (`readiness-probe.ts`, run by the session) before one counts as ready.
 * Jobs (`one_shot`, or waited on with service_completed_successfully) end the run only if they fail.
 *
 * Stopping a set of sessions: SIGTERM to their groups, wait until each group is empty (not just
 * its leader) for up to the timeout, then SIGKILL what is left. Processes of a session that left
 * its group (`setsid`) are found by the marker in their environment and stopped the same way once
 * the groups are empty. A second signal kills at once. Stopping never waits on our own output, and
 * gives up one second after SIGKILL on anything that still will not end.
 */
import type { RunType, SessionPlan } from "../plan/assemble.js";
import { jobNames, stopGroups } from "../plan/dependencies.js";
import type { Dependency } from "../plan/lifecycle.js";
import { byCodeUnit } from "../text/compare.js";
import { formatDuration } from "../text/duration.js";
import { bannerLines } from "./banner.js";
import type {
  ActionResult,
  LogEntry,
  RunControl,
  RunEvent,
  ServiceState,
  ServiceStatus,
} from "./control-types.js";
import type { LogBuffer } from "./log-buffer.js";
import type { OutputMux } from "./output.js";
import { isLiving, livingGroups, markedProcesses, signalGroup, signalProcess } from "./process-groups.js";
import { describeAttempt, nextRestart } from "./restart-policy.js";
import { describeEnd, exitStatus, type Session, type SessionHooks, type SessionResult } from "./session.js";

const POLL_MS = 20;
/** After SIGKILL, how long to wait for the kernel before giving up on a process (D state). */
const AFTER_KILL_MS = 1000;
const HANDLED_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
/** Events kept for the timeline. */
const KEPT_EVENTS = 1000;

export interface SupervisorOptions {
  /** Let the others run on when one ends; finish when none is left running. */
  keepGoing: boolean;
  /** Grace period between SIGTERM and SIGKILL. */
  timeoutMs: number;
  /** Header hint for the readiness banner; undefined when no service uses the session filter. */
  sessionHeader?: { name: string; value: string };
  /** Other process groups to stop with the sessions (`mirrord ui`). */
  extraGroups?: number[];
  /** This run's id in the session marker (see `markedProcesses`). */
  runId: string;
  /** For `info()`: the config file's real path and the key. */
  file: string;
  key: string;
}

/** Re-reads and re-plans the file for control actions; errors are formatted for the user. */
export type Planner = (
  services: readonly string[] | undefined,
) => Promise<{ ok: true; sessions: SessionPlan[] } | { ok: false; errors: string[] }>;

/** Creates (does not start) the session that runs `plan`. */
export type SessionFactory = (plan: SessionPlan, hooks: SessionHooks) => Session;

type StopCause =
  | { kind: "signal"; signal: NodeJS.Signals }
  | { kind: "session"; session: Session }
  | { kind: "output-closed" }
  | { kind: "request" }
  | { kind: "not-started" }
  | { kind: "failure" }
  | { kind: "all-ended" };

/** Why mirrord-up is stopping a service's current session. */
type StopIntent = "stop" | "restart" | "reload" | "remove";

/** One service of the file: its plan and its current (or last) session. */
class ServiceSlot {
  session?: Session;
  restarts = 0;
  startedAt?: Date;
  /** Set while mirrord-up stops the session on purpose; its end is then not a failure. */
  intent?: StopIntent;
  /** Not started yet: its dependencies' conditions do not hold yet. */
  waiting = false;
  /** Why it will not be started (a dependency failed); set once decided. */
  notStarted?: string;
  /** Restarts by the policy in the current streak (reset by a restart on request or reload). */
  policyAttempts = 0;
  /** A restart by the policy, waiting out its backoff. */
  backoff?: NodeJS.Timeout;
  /** Its `ready_when` check failed: why; its session is being stopped and counts as failed. */
  notReady?: string;
  /** Some session of it has exited 0 in this run (for service_completed_successfully). */
  completed = false;
  /** "waiting for ..." was said for the current wait. */
  waitAnnounced = false;
  constructor(public plan: SessionPlan) {}

  get running(): boolean {
    return this.session !== undefined && !this.session.hasEnded;
  }

  /** Running, waiting to start, or waiting to restart: the run is not over for it. */
  get active(): boolean {
    return this.running || this.waiting || this.backoff !== undefined;
  }

  cancelBackoff(): void {
    clearTimeout(this.backoff);
    this.backoff = undefined;
  }
}

/** What a waiting service's dependencies allow: start, wait, or never start (and why). */
type Gate = { go: true } | { go: false; blocked?: string; pending: Dependency[] };

export class Supervisor implements RunControl {
  private readonly startedAt = performance.now();
  private readonly startedWall = new Date();
  private stopCause?: StopCause;
  private forced = false;
  /** Process groups (or strays) that did not end even after SIGKILL: the stop did not complete. */
  private stuckGroups: number[] = [];
  private bannerShown = false;
  /** The exit status of the first failure (a session's status; 1 for a readiness timeout). */
  private failureStatus?: number;
  private readonly slots = new Map<string, ServiceSlot>();
  private readonly listeners = new Map<NodeJS.Signals, () => void>();
  private readonly eventLog: RunEvent[] = [];
  private readonly eventFollowers = new Set<(event: RunEvent) => void>();
  private readonly endedListeners: (() => void)[] = [];
  /** Control actions run one at a time, in the order they came. */
  private actions: Promise<unknown> = Promise.resolve();
  /** Whoever waits for something to change (the run's end, a stop in progress). */
  private readonly waiters = new Set<() => void>();

  constructor(
    plans: readonly SessionPlan[],
    private readonly mux: OutputMux,
    private readonly logBuffer: LogBuffer,
    private readonly options: SupervisorOptions,
    private readonly createSession: SessionFactory,
    private readonly planner: Planner,
  ) {
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
      await this.stopInDependencyOrder();
      this.printSummary();
      return this.exitCode();
    } finally {
      for (const [signal, listener] of this.listeners) process.off(signal, listener);
      for (const listener of this.endedListeners.splice(0)) listener();
    }
  }

  // --- RunControl -------------------------------------------------------------------------

  info(): ReturnType<RunControl["info"]> {
    const header = this.options.sessionHeader;
    return {
      pid: process.pid,
      file: this.options.file,
      key: this.options.key,
      started: this.startedWall.toISOString(),
      ...(header && { sessionHeader: `${header.name}: ${header.value}` }),
    };
  }

  status(): ServiceStatus[] {
    return this.sortedSlots().map((slot) => {
      const session = slot.session;
      const result = session?.result;
      return {
        name: slot.plan.name,
        type: slot.plan.type as RunType,
        state: this.stateOf(slot),
        pid: slot.running ? (session?.pid ?? null) : null,
        restarts: slot.restarts,
        started: slot.startedAt?.toISOString() ?? null,
        ready_after_ms:
          session?.readyAt !== undefined ? Math.round(session.readyAt - session.startedAt) : null,
        exit_code: result && !result.signal ? result.code : null,
        signal: result?.signal ?? null,
        target: targetOf(slot.plan),
      };
    });
  }

  logs(services: readonly string[], tail: number): Iterable<LogEntry> {
    return this.logBuffer.tailLazily(services, tail);
  }

  followLogs(listener: (entry: LogEntry) => void): () => void {
    return this.logBuffer.follow(listener);
  }

  events(): RunEvent[] {
    return [...this.eventLog];
  }

  followEvents(listener: (event: RunEvent) => void): () => void {
    this.eventFollowers.add(listener);
    return () => this.eventFollowers.delete(listener);
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
      return Promise.resolve({ ok: true, messages: ["stopping every session"] });
    }
    return this.act(async () => {
      const unknown = this.unknownNames(services);
      if (unknown) return unknown;
      const named = services.map((name) => this.slots.get(name) as ServiceSlot);
      const slots = named.filter((s) => s.active);
      for (const slot of slots) {
        slot.intent = "stop";
        slot.waiting = false;
        slot.cancelBackoff();
      }
      await this.stopSessions(slots.filter((s) => s.running).map((s) => s.session as Session));
      const messages = services.map((name) => {
        const slot = this.slots.get(name) as ServiceSlot;
        if (!slots.includes(slot)) return `${name}: not running`;
        this.announce(slot, "stopped", "request", "stopped by request");
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
        this.launch(slot);
        launched.push(slot);
      }
      this.advance();
      for (const slot of launched) {
        const name = slot.plan.name;
        if (slot.running) {
          this.announce(slot, "started", "request", `started by request (pid ${slot.session?.pid ?? "?"})`);
          messages.push(`${name}: started (pid ${slot.session?.pid ?? "?"})`);
        } else if (slot.waiting) {
          messages.push(`${name}: waiting for ${this.describePending(slot)}`);
        } else {
          messages.push(`${name}: not started: ${slot.notStarted ?? slot.session?.result?.error ?? "?"}`);
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
      for (const [name, plan] of plans) {
        const slot = this.slots.get(name);
        if (!slot) added.push(name);
        else if (slot.running && processKey(slot.plan) !== processKey(plan)) changed.push(name);
        // Only its lifecycle changed, or it does not run: the next start uses the new plan.
        else slot.plan = plan;
      }
      const gone = [...this.slots.values()].filter((s) => !plans.has(s.plan.name));
      const removed = gone.filter((s) => s.active);
      for (const slot of gone) {
        slot.intent = "remove";
        slot.waiting = false;
        slot.cancelBackoff();
      }
      await this.stopSessions(removed.filter((s) => s.running).map((s) => s.session as Session));
      for (const slot of gone) this.slots.delete(slot.plan.name);
      for (const slot of removed) this.announce(slot, "removed", "reload", "stopped: no longer in the file");
      await this.replace(changed, plans, "reload");
      this.mux.assignNames(added);
      const addedSlots = added.map((name) => {
        const slot = new ServiceSlot(plans.get(name) as SessionPlan);
        this.slots.set(name, slot);
        this.launch(slot);
        return slot;
      });
      this.advance();
      for (const slot of addedSlots) {
        const how = slot.running
          ? `started: added to the file (pid ${slot.session?.pid ?? "?"})`
          : slot.waiting
            ? `added to the file, waiting for ${this.describePending(slot)}`
            : `added to the file, not started: ${slot.notStarted ?? "?"}`;
        this.announce(slot, "added", "reload", how);
      }
      const messages = [
        ...changed.map((name) => this.restartMessage(name)),
        ...added.map((name) => `${name}: ${this.slots.get(name)?.running ? "started" : "waiting"} (added)`),
        ...removed.map((s) => `${s.plan.name}: stopped (removed)`),
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
    this.mux.notice(`mirrord-up: ${reason}; stopping every session`, "error");
    this.failureStatus ??= 1;
    this.requestStop({ kind: "failure" });
  }

  /** True once the run's stop has ended every process group (nothing stuck in the kernel). */
  get stoppedEverything(): boolean {
    return this.stuckGroups.length === 0;
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

  /** Queues a service to start as soon as its dependencies allow (see `advance`). */
  private launch(slot: ServiceSlot): void {
    slot.intent = undefined;
    slot.notStarted = undefined;
    slot.waiting = true;
    slot.waitAnnounced = false;
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
        const gate = this.gate(slot);
        if (gate.go) {
          slot.waiting = false;
          this.startSlot(slot);
          changed = true;
        } else if (gate.blocked !== undefined) {
          slot.waiting = false;
          slot.notStarted = gate.blocked;
          changed = true;
          this.mux.status(slot.plan.name, `not started: ${gate.blocked}`, "error");
          this.record(slot.plan.name, "stopped", "dependency", `not started: ${gate.blocked}`);
          this.failureStatus ??= 1;
          if (!this.options.keepGoing) this.requestStop({ kind: "not-started" });
          else this.endIfIdle();
        }
      }
    }
    if (this.stopCause) return;
    // Said once per wait, after everything that could start did.
    for (const slot of this.sortedSlots()) {
      if (!slot.waiting || slot.waitAnnounced) continue;
      slot.waitAnnounced = true;
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
  private gate(slot: ServiceSlot): Gate {
    const pending: Dependency[] = [];
    for (const dependency of slot.plan.lifecycle.dependsOn) {
      const other = this.slots.get(dependency.service);
      // Not part of this run (removed from the file meanwhile): nothing to wait for.
      if (!other || other === slot) continue;
      const verdict = this.conditionHolds(dependency, other);
      if (verdict === true) continue;
      if (typeof verdict === "string") return { go: false, blocked: verdict, pending };
      pending.push(dependency);
    }
    return pending.length === 0 ? { go: true } : { go: false, pending };
  }

  /** true: holds; false: may still hold (wait); a string: can no longer hold, and why. */
  private conditionHolds(dependency: Dependency, other: ServiceSlot): boolean | string {
    const name = other.plan.name;
    if (other.notStarted !== undefined) return `${name} was not started`;
    // Stopped by request: `mirrord-up start` may bring it back, so its dependents wait for it.
    if (other.waiting || other.intent === "stop") return false;
    const session = other.session;
    if (!session) return `${name} was not started`;
    const restarting = other.backoff !== undefined || other.intent === "restart" || other.intent === "reload";
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

  private startSlot(slot: ServiceSlot): void {
    const session = this.createSession(slot.plan, {
      onReady: this.handleReady,
      onEnd: this.handleEnd,
      onNotReady: this.handleNotReady,
    });
    slot.session = session;
    slot.startedAt = new Date();
    slot.notReady = undefined;
    session.start();
    this.record(
      slot.plan.name,
      "started",
      slot.plan.lifecycle.dependsOn.length > 0 ? "dependency" : undefined,
      session.pid !== undefined ? `pid ${session.pid}` : undefined,
    );
  }

  /** Stops the running sessions of `names` and starts each again with its new plan. */
  private async replace(
    names: readonly string[],
    plans: Map<string, SessionPlan>,
    why: "restart" | "reload",
  ) {
    const slots = names.map((name) => this.slots.get(name) as ServiceSlot);
    const oldPids = new Map(slots.map((s) => [s, s.running ? s.session?.pid : undefined]));
    for (const slot of slots) {
      if (slot.running) slot.intent = why;
      slot.cancelBackoff();
      slot.waiting = false;
    }
    await this.stopSessions(slots.filter((s) => s.running).map((s) => s.session as Session));
    for (const slot of slots) {
      slot.plan = plans.get(slot.plan.name) ?? slot.plan;
      slot.intent = undefined;
      slot.notStarted = undefined;
      // A restart on request or by a reload starts the policy's count afresh.
      slot.policyAttempts = 0;
      slot.restarts++;
      this.startSlot(slot);
      const by = why === "restart" ? "request" : "reload";
      const pids = `pid ${oldPids.get(slot) ?? "-"} → ${slot.session?.pid ?? "?"}`;
      this.announce(slot, "restarted", by, `restarted by ${by}, ${pids}`);
    }
    this.advance();
  }

  private restartMessage(name: string): string {
    const slot = this.slots.get(name);
    return `${name}: restarted (pid ${slot?.session?.pid ?? "?"})`;
  }

  /** Session hook: one became ready (mirrord's Ready!, then its `ready_when` check). */
  private handleReady = (session: Session): void => {
    const slot = this.slots.get(session.name);
    if (slot?.session === session) {
      this.record(
        session.name,
        "ready",
        undefined,
        `ready in ${formatDuration((session.readyAt ?? 0) - session.startedAt)}`,
      );
    }
    this.advance();
    this.maybeBanner();
  };

  /** Session hook: its `ready_when` check timed out. It is stopped, and counts as failed. */
  private handleNotReady = (session: Session, reason: string): void => {
    const slot = this.slots.get(session.name);
    if (!slot || slot.session !== session || slot.intent !== undefined || this.stopCause) return;
    slot.notReady = reason;
    this.mux.status(session.name, reason, "error");
    void this.stopSessions([session]);
  };

  /** Session hook: one ended (its output is fully written by now). */
  private handleEnd = (session: Session): void => {
    const slot = this.slots.get(session.name);
    this.wake();
    if (!slot || slot.session !== session || slot.intent !== undefined) return;
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
      this.record(session.name, failed ? "failed" : "exited", undefined, notReady ?? describeEnd(result));
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
      slot.backoff = setTimeout(() => this.restartByPolicy(slot, decision.attempt), decision.delayMs);
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
    slot.backoff = undefined;
    if (this.stopCause || this.slots.get(slot.plan.name) !== slot) return;
    const oldPid = slot.session?.pid;
    slot.restarts++;
    this.startSlot(slot);
    const policy = slot.plan.lifecycle.restart;
    this.announce(
      slot,
      "restarted",
      "policy",
      `restarted (${describeAttempt(policy, attempt)}), pid ${oldPid ?? "-"} → ${slot.session?.pid ?? "?"}`,
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
    if (!this.forced) {
      this.forced = true;
      this.mux.notice(`mirrord-up: ${signal} again, killing every session now`, "warn");
      this.killAll(this.allSessions(), true);
      this.wake();
    }
  }

  private requestStop(cause: StopCause): void {
    if (this.stopCause) return;
    this.stopCause = cause;
    // Nothing more starts: waiting services stay unstarted, backoff waits are cancelled.
    for (const slot of this.slots.values()) {
      slot.waiting = false;
      slot.cancelBackoff();
    }
    const running = [...this.slots.values()].filter((s) => s.running).length;
    if ((cause.kind === "signal" || cause.kind === "request") && running > 0) {
      const seconds = this.options.timeoutMs / 1000;
      const why = cause.kind === "signal" ? cause.signal : "stop requested";
      this.mux.notice(
        `mirrord-up: ${why}, stopping ${running} session${running === 1 ? "" : "s"} ` +
          `(up to ${seconds}s; press Ctrl-C again to force)`,
        "warn",
      );
    }
    this.wake();
  }

  private allSessions(): Session[] {
    return [...this.slots.values()].map((s) => s.session).filter((s): s is Session => s !== undefined);
  }

  /**
   * The end of the run: dependents first, each group stopped and waited for (with its own grace
   * period) before what it depends on. Without dependencies, one group: everything at once.
   */
  private async stopInDependencyOrder(): Promise<void> {
    const sessions = this.allSessions();
    const graph = new Map(
      [...this.slots.values()].map((s) => [s.plan.name, s.plan.lifecycle.dependsOn.map((d) => d.service)]),
    );
    const groups = stopGroups(
      graph,
      sessions.filter((s) => !s.hasEnded).map((s) => s.name),
    );
    for (const group of groups.slice(0, -1)) {
      await this.stopSessions(
        sessions.filter((s) => group.includes(s.name)),
        { forceable: true },
      );
    }
    const last = new Set(groups.at(-1) ?? []);
    // The last group also takes the ended sessions (their strays) and `mirrord ui`.
    await this.stopSessions(
      sessions.filter((s) => last.has(s.name) || s.hasEnded),
      { everything: true },
    );
  }

  /**
   * SIGTERM the sessions' groups; wait for every leader, stream and group; then stop their
   * processes that left the groups; SIGKILL whatever is left after the timeout. With
   * `everything`, this is the end of the run: `mirrord ui` goes too. `forceable` (the default
   * with `everything`): a second Ctrl-C kills at once.
   */
  private async stopSessions(
    sessions: Session[],
    options: { everything?: boolean; forceable?: boolean } = {},
  ): Promise<void> {
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

  private killAll(sessions: Session[], everything: boolean): void {
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

  // --- state, events, output ----------------------------------------------------------------

  private stateOf(slot: ServiceSlot): ServiceState {
    if (slot.waiting) return "waiting";
    if (slot.backoff !== undefined || slot.intent === "restart" || slot.intent === "reload")
      return "restarting";
    const session = slot.session;
    if (!session) return "stopped";
    if (!session.hasEnded) {
      if (slot.notReady !== undefined) return "failed";
      if (!session.isReady) return "starting";
      return slot.plan.type === "local" && !slot.plan.lifecycle.readyWhen ? "running" : "ready";
    }
    if (slot.notReady !== undefined) return "failed";
    if (slot.intent === "stop" || slot.intent === "remove" || session.result?.stoppedByUs) return "stopped";
    return session.result && exitStatus(session.result) === 0 ? "exited" : "failed";
  }

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
    const planned = await this.planner(names);
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

  /** A line in the `up` stream and an event for the timeline. */
  private announce(slot: ServiceSlot, kind: RunEvent["kind"], by: RunEvent["by"], text: string): void {
    this.mux.status(slot.plan.name, text, "dim");
    this.record(slot.plan.name, kind, by, text);
  }

  private record(service: string, kind: RunEvent["kind"], by?: RunEvent["by"], detail?: string): void {
    const event: RunEvent = { time: Date.now(), service, kind, ...(by && { by }), ...(detail && { detail }) };
    this.eventLog.push(event);
    if (this.eventLog.length > KEPT_EVENTS) this.eventLog.shift();
    for (const follower of this.eventFollowers) follower(event);
  }

  /**
   * The banner, once: when nothing waits to start or to restart and every running session is
   * ready (jobs that are done do not count).
   */
  private maybeBanner(): void {
    if (this.stopCause || this.bannerShown) return;
    const slots = [...this.slots.values()];
    if (slots.some((s) => s.waiting || s.backoff !== undefined)) return;
    const running = slots.filter((s) => s.running);
    if (running.length === 0 || !running.every((s) => s.session?.isReady)) return;
    this.bannerShown = true;
    const took = formatDuration(performance.now() - this.startedAt);
    const lines = bannerLines(
      running.map((s) => s.plan),
      this.options.sessionHeader,
      took,
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
        (r ? describeEnd(r) : slot.notStarted ? `not started: ${slot.notStarted}` : "never started");
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
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }

  private async until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise<void>((resolve) => this.waiters.add(resolve));
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

function targetOf(plan: SessionPlan): string | null {
  if (plan.type === "local") return null;
  return plan.mirrordConfig?.target?.path ?? "none";
}
