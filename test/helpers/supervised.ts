/**
 * Fakes for running the supervisor in-process: sessions a test ends or readies by hand, a stopper
 * that ends them at once, a clock whose timers fire only when the test advances it, a file the
 * test edits between reloads, and an output that keeps its lines. No process is started.
 */
import type { DependencyCondition, RestartPolicy } from "../../src/config/lifecycle-schema.js";
import type { RunType, SessionPlan } from "../../src/plan/assemble.js";
import type { Dependency, ReadinessCheck } from "../../src/plan/lifecycle.js";
import { EventLog } from "../../src/run/event-log.js";
import type { SessionStopper } from "../../src/run/group-stopper.js";
import type { SessionHooks, SessionResult, SupervisedSession } from "../../src/run/session.js";
import { type Clock, Supervisor, type SupervisorOptions } from "../../src/run/supervisor.js";

export function plan(
  name: string,
  options: {
    type?: RunType;
    restart?: RestartPolicy;
    dependsOn?: [string, DependencyCondition][];
    oneShot?: boolean;
    command?: string[];
    env?: Record<string, string>;
    /** The variables of its env file (`.env`). */
    envFile?: Record<string, string>;
    /** Its `ready_when` check (checked every second, for a minute). */
    readyWhen?: ReadinessCheck;
  } = {},
): SessionPlan {
  const dependsOn: Dependency[] = (options.dependsOn ?? []).map(([service, condition]) => ({
    service,
    condition,
    path: ["services", name, "depends_on", service],
  }));
  return {
    name,
    type: options.type ?? "local",
    command: options.command ?? ["true"],
    env: options.env ?? {},
    usesSessionFilter: false,
    lifecycle: {
      restart: options.restart ?? { kind: "no" },
      dependsOn,
      oneShot: options.oneShot ?? false,
      ...(options.readyWhen && {
        readyWhen: { check: options.readyWhen, intervalMs: 1000, timeoutMs: 60_000 },
      }),
      ...(options.envFile && {
        envFile: { path: ".env", from: ["services", name, "env_file"], vars: options.envFile },
      }),
    },
  };
}

let nextPid = 1000;

export class FakeSession implements SupervisedSession {
  readonly name: string;
  pid?: number;
  startedAt = 0;
  readyAt?: number;
  result?: SessionResult;
  outputCut = false;
  /** Signals mirrord-up sent it. */
  readonly signals: NodeJS.Signals[] = [];

  constructor(
    readonly plan: SessionPlan,
    private readonly hooks: SessionHooks,
    private readonly clock: FakeClock,
  ) {
    this.name = plan.name;
  }

  /** No process group: the real stopper's /proc reads find nothing of it. */
  get pgid(): number | undefined {
    return undefined;
  }
  get isReady(): boolean {
    return this.readyAt !== undefined;
  }
  get hasEnded(): boolean {
    return this.result !== undefined;
  }
  start(): void {
    this.startedAt = this.clock.now();
    this.pid = nextPid++;
  }
  ready(): void {
    this.readyAt = this.clock.now();
    this.hooks.onReady(this);
  }
  notReady(reason: string): void {
    this.hooks.onNotReady?.(this, reason);
  }
  exit(code: number, stoppedByUs = false): void {
    if (this.result) return;
    this.result = {
      code,
      signal: null,
      stoppedByUs,
      beforeReady: this.readyAt === undefined,
      durationMs: this.clock.now() - this.startedAt,
    };
    this.hooks.onEnd(this);
  }
  signal(signal: NodeJS.Signals): void {
    this.signals.push(signal);
    this.endBy(signal, true);
  }
  /** Signals `mirrord-up kill` sent it: `[signal, group]`. */
  readonly kills: [NodeJS.Signals, boolean][] = [];
  /** As a real process killed from outside: it ends by the signal, not stopped by mirrord-up. */
  kill(signal: NodeJS.Signals, { group }: { group: boolean }): number | undefined {
    if (this.result || this.pid === undefined) return undefined;
    this.kills.push([signal, group]);
    this.endBy(signal, false);
    return this.pid;
  }
  private endBy(signal: NodeJS.Signals, stoppedByUs: boolean): void {
    if (this.result) return;
    this.result = {
      code: null,
      signal,
      stoppedByUs,
      beforeReady: this.readyAt === undefined,
      durationMs: this.clock.now() - this.startedAt,
    };
    this.hooks.onEnd(this);
  }
  abandon(): void {}
}

/** Timers fire only in `advance`, in order of their due time. */
export class FakeClock implements Clock {
  private time = 0;
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 1;
  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, callback, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  get pending(): number {
    return this.timers.length;
  }
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.callback();
    }
    this.time = until;
  }
}

/** Ends every session it is asked to stop with SIGTERM, at once. */
export class FakeStopper implements SessionStopper {
  isForced = false;
  stoppedEverything = true;
  /** Names of the sessions of each stop, in order. */
  readonly stops: string[][] = [];
  async stop(sessions: readonly SupervisedSession[]): Promise<void> {
    this.stops.push(sessions.map((s) => s.name));
    for (const session of sessions) if (!session.hasEnded) session.signal("SIGTERM");
  }
  async stopInDependencyOrder(sessions: readonly SupervisedSession[]): Promise<void> {
    await this.stop(sessions.filter((s) => !s.hasEnded));
  }
  force(sessions: readonly SupervisedSession[]): void {
    this.isForced = true;
    for (const session of sessions) session.signal("SIGKILL");
  }
  wake(): void {}
}

/** A status line or notice the supervisor wrote. */
export interface Written {
  service?: string;
  text: string;
  tone?: string;
}

/** What the planner reads when an action reads the file again; a test edits it in between. */
export interface FakeFile {
  plans: SessionPlan[];
  /** Set: the file is invalid, with these errors. */
  errors?: string[];
  /** Runs while the file is read (a render takes a while), e.g. a stop that begins meanwhile. */
  whileRead?: () => void;
}

/** The named plans and what they depend on, as the real planner selects them (all: undefined). */
function selected(plans: readonly SessionPlan[], names: readonly string[] | undefined): SessionPlan[] {
  if (names === undefined) return [...plans];
  const wanted = new Set(names);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of plans) {
      if (!wanted.has(p.name)) continue;
      for (const d of p.lifecycle.dependsOn) {
        if (wanted.has(d.service)) continue;
        wanted.add(d.service);
        grew = true;
      }
    }
  }
  return plans.filter((p) => wanted.has(p.name));
}

/**
 * A supervisor over fakes: `sessions` are the sessions it created, in order; `file` is what its
 * planner reads (at first, `plans`).
 */
export function supervised(plans: SessionPlan[], options: Partial<SupervisorOptions> = {}) {
  const file: FakeFile = { plans: [...plans] };
  const clock = new FakeClock();
  const stopper = new FakeStopper();
  const events = new EventLog(() => clock.now());
  const written: Written[] = [];
  const sessions: FakeSession[] = [];
  const mux = {
    status: (service: string, text: string, tone?: string) => void written.push({ service, text, tone }),
    notice: (text: string, tone?: string) => void written.push({ text, tone }),
    assignNames: () => {},
    onClosed: () => {},
    isClosed: false,
    failed: false,
  };
  const supervisor = new Supervisor(
    plans,
    mux,
    { keepGoing: false, timeoutMs: 1000, ...options },
    {
      createSession: (p, hooks) => {
        const session = new FakeSession(p, hooks, clock);
        sessions.push(session);
        return session;
      },
      planner: async (names) => {
        file.whileRead?.();
        if (file.errors) return { ok: false, errors: file.errors };
        return { ok: true, sessions: selected(file.plans, names) };
      },
      stopper,
      events,
      clock,
    },
  );
  /** The last session created for `name`. */
  const session = (name: string) => {
    const found = sessions.filter((s) => s.name === name).at(-1);
    if (!found) throw new Error(`no session of ${name}`);
    return found;
  };
  const lines = (service?: string) =>
    written.filter((w) => service === undefined || w.service === service).map((w) => w.text);
  return { supervisor, clock, stopper, events, written, sessions, session, lines, file };
}
