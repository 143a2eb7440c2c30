/**
 * One service's process: spawned in its own process group, stdin from /dev/null, stdout and
 * stderr framed into lines. A session has ended only when its leader has exited AND both of its
 * streams are drained, so that everything it wrote is printed before its end is reported.
 */
import { constants } from "node:os";
import { stripVTControlCharacters } from "node:util";
import type { SessionArgv } from "../plan/argv.js";
import type { SessionPlan } from "../plan/assemble.js";
import { describeCheck } from "../plan/lifecycle.js";
import { ByteTail } from "../text/byte-tail.js";
import { formatDuration } from "../text/duration.js";
import { launchHeld } from "./launcher.js";
import { AT_ONCE_MS, missingPathHint } from "./missing-path.js";
import { LineSink, type OutputMux } from "./output.js";
import { groupHasRunnable, livingGroups, signalGroup, signalProcess } from "./process-groups.js";
import { mainProcess } from "./process-table.js";
import { isReadyEvent, type ProgressEvent, parseProgressLine } from "./progress.js";
import { attemptFor, LogMatcher, waitUntilReady } from "./readiness-probe.js";
import type { GroupRegistry } from "./watchdog-client.js";

/** How long a leader's streams may stay open after it exited before its leftovers are stopped. */
const LEFTOVER_GRACE_MS = 300;
/** How often an exited leader's group is checked for members while its streams are still open. */
const GROUP_POLL_MS = 50;
/**
 * Once the group is empty, a process outside it (one that called `setsid`) may still hold the
 * pipes: what is already in them is read for this long, then they are closed, so that such a
 * process can neither hide the session's end nor keep mirrord-up waiting.
 */
const ORPHANED_PIPE_DRAIN_MS = 200;
/** The longest a writer outside the group may keep a finished session's pipes busy. */
const MAX_ORPHANED_DRAIN_MS = 2000;
/** How often an ended session's group is checked until it is empty and can be forgotten. */
const FORGET_POLL_MS = 1000;
/** Lines of mirrord's stderr kept to explain a failure before readiness. */
const KEPT_ERROR_LINES = 20;
/** The last bytes of a session's first output, kept to explain an end at once. */
const EARLY_TAIL_BYTES = 4096;

/** How a session ended. */
export interface SessionResult {
  /** Exit code of the leader (null when killed by a signal or never started). */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** mirrord-up signalled it before it ended on its own. */
  stoppedByUs: boolean;
  /** It ended before mirrord said it was ready. */
  beforeReady: boolean;
  /** Why it could not start, or mirrord's own error text for a failure before readiness. */
  error?: string;
  /** Why it may have ended at once: a path not found where it ran (missing-path.ts). */
  hint?: string;
  durationMs: number;
}

export interface SessionHooks {
  onReady(session: SupervisedSession): void;
  onEnd(session: SupervisedSession): void;
  /** Its `ready_when` check did not pass in time (`reason` says why); the session still runs. */
  onNotReady?(session: SupervisedSession, reason: string): void;
}

/** What the supervisor and the group stopper use of a session; a test's fake session is one too. */
export type SupervisedSession = Pick<
  Session,
  | "name"
  | "plan"
  | "pid"
  | "pgid"
  | "startedAt"
  | "readyAt"
  | "result"
  | "isReady"
  | "hasEnded"
  | "outputCut"
  | "start"
  | "signal"
  | "kill"
  | "abandon"
>;

export class Session {
  readonly name: string;
  pid?: number;
  startedAt = 0;
  /** When it counts as ready: mirrord's `Ready!` (local: started), then its `ready_when` check. */
  readyAt?: number;
  /** When mirrord said `Ready!` (local: when it started), before any `ready_when` check. */
  connectedAt?: number;
  result?: SessionResult;
  private stopRequested = false;
  private exitInfo?: { code: number | null; signal: NodeJS.Signals | null };
  private openStreams = 0;
  private readonly errorLines: string[] = [];
  private failedTask?: string;
  private readonly stdoutSink: LineSink;
  private readonly stderrSink: LineSink;
  private readonly streams: (NodeJS.ReadableStream & { destroy(): void; isPaused(): boolean })[] = [];
  private groupForgotten = false;
  /** Why the program could not be started (its launcher was never released). */
  private startError?: string;
  private leftoverTimer?: NodeJS.Timeout;
  /** Chunks read from either pipe so far. */
  private chunksRead = 0;
  /** Output that could not be read before the pipes were closed (our output was blocked). */
  outputCut = false;
  /** `ready_when.log`: watches the output until a line matches. */
  private logMatcher?: LogMatcher;
  /** Cancels the `ready_when` check (the session ended). */
  private probe?: AbortController;
  /** Cuts the probe's pause short (a matching log line arrived). */
  private wakeProbe?: () => void;
  /** The end of its output while it may still end "at once"; dropped after that. */
  private earlyTail: ByteTail | undefined = new ByteTail(EARLY_TAIL_BYTES);

  constructor(
    readonly plan: SessionPlan,
    private readonly argv: SessionArgv,
    private readonly env: NodeJS.ProcessEnv,
    private readonly cwd: string,
    private readonly mux: OutputMux,
    private readonly hooks: SessionHooks,
    private readonly groups: GroupRegistry,
    /** mirrord-up's own working directory (hints compare paths there). */
    private readonly invokedIn: string,
  ) {
    this.name = plan.name;
    const record = mux.options.record;
    this.stdoutSink = new LineSink(
      mux,
      mux.linePrefix(this.name, "stdout"),
      record && ((data, lines) => record(this.name, "stdout", data, lines)),
    );
    this.stderrSink = new LineSink(
      mux,
      mux.linePrefix(this.name, "stderr"),
      record && ((data, lines) => record(this.name, "stderr", data, lines)),
    );
    // The bound on held partial lines is per service, stdout and stderr together.
    LineSink.pair(this.stdoutSink, this.stderrSink);
    const writerBusy = () => this.pid !== undefined && groupHasRunnable(this.pid);
    this.stdoutSink.writerBusy = writerBusy;
    this.stderrSink.writerBusy = writerBusy;
  }

  /**
   * The process group id (the leader's pid); undefined until started, and again once the group
   * was seen empty after the session ended: from then on the id may belong to someone else.
   */
  get pgid(): number | undefined {
    return this.groupForgotten ? undefined : this.pid;
  }

  get isReady(): boolean {
    return this.readyAt !== undefined;
  }

  get hasEnded(): boolean {
    return this.result !== undefined;
  }

  start(): void {
    this.startedAt = performance.now();
    const check = this.plan.lifecycle.readyWhen?.check;
    if (check?.kind === "log") {
      this.logMatcher = new LogMatcher(check.pattern);
      // A local service's output counts from the start; a mirrord session's after its Ready!.
      if (this.plan.type === "local") this.observeLog(true);
    }
    let launched: ReturnType<typeof launchHeld>;
    try {
      launched = launchHeld(this.argv.file, this.argv.args, { cwd: this.cwd, env: this.env });
    } catch (error) {
      this.finish({ code: null, signal: null }, `cannot start: ${(error as Error).message}`);
      return;
    }
    const { child } = launched;
    child.on("error", (error: NodeJS.ErrnoException) => {
      // Spawn failed (a missing working directory): no process, no streams to wait for.
      if (child.pid === undefined)
        this.finish(
          { code: null, signal: null },
          `cannot start ${this.argv.file}: ${error.code ?? error.message}`,
        );
    });
    if (child.pid === undefined) return;
    const pid = child.pid;
    this.pid = pid;
    if (this.plan.type !== "local") this.watchProgress();
    this.attach(child.stdout, this.stdoutSink);
    this.attach(child.stderr, this.stderrSink);
    child.on("exit", (code, signal) => this.handleExit(code, signal));
    // The program runs only once its group is recorded by the watchdog: there is no moment in
    // which a SIGKILL of mirrord-up could leave it running unrecorded. The records of the sessions
    // started in one pass go to the watchdog a batch to a write (watchdog-client.ts), and each
    // batch's programs are released once its write is done.
    this.groups.register(pid, (error) => {
      if (error) {
        this.startError = `cannot start: ${error.message}`;
        launched.abort();
        return;
      }
      if (this.stopRequested) {
        launched.abort();
        return;
      }
      launched.release();
      if (this.plan.type !== "local") return;
      // Once `start` has returned: the supervisor writes its start line and records "started"
      // before "ready".
      queueMicrotask(() => this.markConnected());
    });
  }

  private handleExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exitInfo = { code, signal };
    if (this.openStreams === 0) {
      this.finish(this.exitInfo, this.startError);
      return;
    }
    // Something still holds the pipes. While the group has members, give them a moment and then
    // stop them (the leader's leftovers); once it is empty, whatever holds the pipes left the
    // group: read what is there, then close them.
    const exitedAt = performance.now();
    let terminated = false;
    const check = () => {
      if (this.hasEnded) return;
      if (livingGroups([this.pid as number]).size > 0) {
        if (!terminated && performance.now() - exitedAt >= LEFTOVER_GRACE_MS) {
          terminated = true;
          signalGroup(this.pid as number, "SIGTERM");
        }
        this.leftoverTimer = setTimeout(check, GROUP_POLL_MS);
        return;
      }
      this.closeWhenOrphaned(performance.now(), this.chunksRead);
    };
    this.leftoverTimer = setTimeout(check, GROUP_POLL_MS);
  }

  /**
   * The group is empty but the pipes are open. Data already in them is ours to deliver: while we
   * are not reading (our output is blocked) nothing is closed, unless mirrord-up is stopping this
   * session; while we read, the pipes are closed once they stay quiet for ORPHANED_PIPE_DRAIN_MS
   * (a writer outside the group holds them but says nothing) or after MAX_ORPHANED_DRAIN_MS of
   * such a writer's output.
   */
  private closeWhenOrphaned(emptySince: number, chunksBefore: number): void {
    this.leftoverTimer = setTimeout(() => {
      if (this.hasEnded) return;
      const paused = this.streams.some((s) => s.isPaused());
      const quiet = this.chunksRead === chunksBefore;
      const tooLong = performance.now() - emptySince >= MAX_ORPHANED_DRAIN_MS;
      if (paused && !this.stopRequested) return this.closeWhenOrphaned(performance.now(), this.chunksRead);
      // Stopping with our output blocked: what is in the pipes cannot be shown anyway.
      if (paused || quiet || tooLong) return this.closeStreams();
      this.closeWhenOrphaned(emptySince, this.chunksRead);
    }, ORPHANED_PIPE_DRAIN_MS);
  }

  /** Closes the pipes whatever holds them; the session then ends with what was read. */
  closeStreams(): void {
    for (const stream of this.streams) {
      if (stream.isPaused()) this.outputCut = true;
      stream.destroy();
    }
  }

  /**
   * Ends the session now, even if its leader's exit was never seen (a process that cannot be
   * killed): used only when stopping has run out of time.
   */
  abandon(): void {
    if (this.hasEnded) return;
    this.closeStreams();
    this.finish(
      this.exitInfo ?? { code: null, signal: null },
      this.exitInfo ? undefined : "could not be stopped",
    );
  }

  /** Sends `signal` to the whole group. Marks the session as stopped by us if it is still running. */
  signal(signal: NodeJS.Signals): void {
    const pgid = this.pgid;
    if (pgid === undefined) return;
    if (!this.exitInfo) this.stopRequested = true;
    signalGroup(pgid, signal);
  }

  /**
   * Sends `signal` as something outside would (`mirrord-up kill`): to the program's main process
   * (`mainProcess`), or with `group` to the session's whole process group. It does not count as
   * a stop on purpose: the end it causes is handled like any other. Returns the pid (or group id)
   * signalled, or undefined when the session no longer runs.
   */
  kill(signal: NodeJS.Signals, { group }: { group: boolean }): number | undefined {
    const pgid = this.pgid;
    if (pgid === undefined || this.exitInfo) return undefined;
    if (group) return signalGroup(pgid, signal) ? pgid : undefined;
    const pid = mainProcess(pgid, this.plan.type);
    return signalProcess(pid, signal) ? pid : undefined;
  }

  private attach(stream: NodeJS.ReadableStream | null, sink: LineSink): void {
    if (!stream) return;
    this.openStreams++;
    const readable = stream as NodeJS.ReadableStream & { destroy(): void; isPaused(): boolean };
    this.streams.push(readable);
    readable.on("data", (chunk: Buffer) => {
      this.chunksRead++;
      if (this.earlyTail) this.keepEarly(chunk);
      if (!sink.push(chunk)) {
        // Our output is full: stop reading (the service then blocks on its pipe) and, while we
        // are not reading, never take its silence for the end of a partial line.
        readable.pause();
        sink.reading = false;
        this.mux.whenDrained(() => {
          sink.reading = true;
          readable.resume();
        });
      }
    });
    let closed = false;
    const done = () => {
      if (closed) return;
      closed = true;
      sink.end();
      this.openStreams--;
      if (this.openStreams === 0 && this.exitInfo) this.finish(this.exitInfo, this.startError);
    };
    readable.on("end", done);
    readable.on("close", done);
    readable.on("error", done);
  }

  /** Keeps the end of the output until the session has run for longer than "at once". */
  private keepEarly(chunk: Buffer): void {
    if (this.connectedAt !== undefined && performance.now() - this.connectedAt > AT_ONCE_MS) {
      this.earlyTail = undefined;
      return;
    }
    this.earlyTail?.push(chunk);
  }

  /**
   * A hint for an end at once with a failing status (a local service: since it started; a mirrord
   * session: since its `Ready!`, before which mirrord's own error says why).
   */
  private hintForEnd(code: number | null): string | undefined {
    if (this.stopRequested || code === null || code === 0 || !this.earlyTail) return undefined;
    if (this.connectedAt === undefined || performance.now() - this.connectedAt > AT_ONCE_MS) return undefined;
    const output = stripVTControlCharacters(this.earlyTail.view().toString("utf8"));
    return missingPathHint(code, output, this.plan.command, this.cwd, this.invokedIn);
  }

  /** Until mirrord says `Ready!`, stdout lines are its progress, shown as status lines. */
  private watchProgress(): void {
    this.stdoutSink.intercept = (line) => {
      const text = line.toString("utf8");
      const event = parseProgressLine(text);
      if (isReadyEvent(event, text)) {
        this.stdoutSink.intercept = undefined;
        this.stderrSink.intercept = undefined;
        // From here on the output is the application's: the place to look for `ready_when.log`.
        this.observeLog(true);
        this.markConnected();
        return true;
      }
      if (!event) return false;
      this.showProgress(event);
      return true;
    };
    this.stderrSink.intercept = (line) => {
      const text = stripVTControlCharacters(line.toString("utf8")).trim();
      if (text) {
        this.errorLines.push(text);
        if (this.errorLines.length > KEPT_ERROR_LINES) this.errorLines.shift();
      }
      return false;
    };
  }

  private showProgress(event: ProgressEvent): void {
    switch (event.kind) {
      case "task":
        this.mux.status(this.name, `mirrord: ${event.name}`, "dim");
        break;
      case "finished":
        if (!event.success) {
          const text = event.message ? `${event.name}: ${event.message}` : event.name;
          this.failedTask = text;
          this.mux.status(this.name, `mirrord: failed: ${text}`, "error");
        }
        break;
      case "warning":
        this.mux.status(this.name, `mirrord warning: ${event.message}`, "warn");
        break;
      case "info":
        if (event.message) this.mux.status(this.name, `mirrord: ${event.message}`, "dim");
        break;
    }
  }

  /** mirrord said `Ready!` (a local service: it started): ready now, or once `ready_when` passes. */
  private markConnected(): void {
    if (this.connectedAt !== undefined) return;
    this.connectedAt = performance.now();
    const ready = this.plan.lifecycle.readyWhen;
    if (!ready) {
      this.markReady();
      return;
    }
    if (this.plan.type !== "local") {
      this.mux.status(
        this.name,
        `mirrord ready in ${formatDuration(this.connectedAt - this.startedAt)}, waiting for ${describeCheck(ready.check)}`,
        "dim",
      );
    }
    const probe = new AbortController();
    this.probe = probe;
    // Never rejects: every way a check can go wrong is an outcome.
    void waitUntilReady({
      intervalMs: ready.intervalMs,
      timeoutMs: ready.timeoutMs,
      signal: probe.signal,
      attempt: attemptFor(ready.check, { cwd: this.cwd, env: this.env, matcher: this.logMatcher }),
      onWake: (wake) => {
        this.wakeProbe = wake;
        return () => {
          this.wakeProbe = undefined;
        };
      },
    }).then((result) => {
      this.probe = undefined;
      this.observeLog(false);
      if (result.ok) this.markReady(` (${describeCheck(ready.check)})`);
      else if (!result.aborted && !this.hasEnded) this.hooks.onNotReady?.(this, result.reason);
    });
  }

  private markReady(detail = ""): void {
    if (this.readyAt !== undefined) return;
    this.readyAt = performance.now();
    if (this.plan.type !== "local" || detail) {
      this.mux.status(this.name, `ready in ${formatDuration(this.readyAt - this.startedAt)}${detail}`, "ok");
    }
    this.hooks.onReady(this);
  }

  /**
   * While a `ready_when.log` check waits, every line is offered to it (and then written as
   * usual); once it matched, lines take the fast path again.
   */
  private observeLog(on: boolean): void {
    const matcher = this.logMatcher;
    if (!matcher) return;
    if (!on || matcher.matched) {
      if (this.stdoutSink.intercept === this.offerLine) this.stdoutSink.intercept = undefined;
      if (this.stderrSink.intercept === this.offerLine) this.stderrSink.intercept = undefined;
      if (!on) {
        matcher.dispose();
        this.logMatcher = undefined;
      }
      return;
    }
    this.stdoutSink.intercept = this.offerLine;
    this.stderrSink.intercept = this.offerLine;
  }

  private readonly offerLine = (line: Buffer): boolean => {
    if (this.logMatcher?.offer(line.toString("utf8"))) {
      this.observeLog(true);
      this.wakeProbe?.();
    }
    return false;
  };

  private finish(exit: { code: number | null; signal: NodeJS.Signals | null }, startError?: string): void {
    if (this.result) return;
    clearTimeout(this.leftoverTimer);
    this.probe?.abort();
    this.observeLog(false);
    this.forgetGroupWhenEmpty();
    const beforeReady = this.readyAt === undefined;
    let error = startError;
    if (!error && beforeReady && this.plan.type !== "local" && !this.stopRequested && exit.code !== 0) {
      error = this.failedTask ?? pickErrorLine(this.errorLines) ?? "mirrord printed no error";
    }
    const hint = startError ? undefined : this.hintForEnd(exit.code);
    this.result = {
      code: exit.code,
      signal: exit.signal,
      stoppedByUs: this.stopRequested,
      beforeReady,
      error,
      ...(hint && { hint }),
      durationMs: performance.now() - this.startedAt,
    };
    this.hooks.onEnd(this);
  }

  /**
   * An ended session's group id is dropped from every kill list (ours and the watchdog's) as soon
   * as the group has no member left: after that the kernel may hand the id to an unrelated process.
   */
  private forgetGroupWhenEmpty(): void {
    const pid = this.pid;
    if (pid === undefined || this.groupForgotten) return;
    if (livingGroups([pid]).size > 0) {
      setTimeout(() => this.forgetGroupWhenEmpty(), FORGET_POLL_MS).unref();
      return;
    }
    this.groupForgotten = true;
    this.groups.forget(pid);
  }
}

/** "exited with code 1", "killed by SIGKILL", ... */
export function describeEnd(result: SessionResult): string {
  if (result.error && result.code === null && result.signal === null) return result.error;
  const how = result.signal ? `killed by ${result.signal}` : `exited with code ${result.code}`;
  return result.stoppedByUs ? `stopped (${how})` : how;
}

/** The exit status a shell would report: the code, or 128 + the signal number. */
export function exitStatus(result: Pick<SessionResult, "code" | "signal">): number {
  if (result.signal) return 128 + (constants.signals[result.signal] ?? 0);
  return result.code ?? 127;
}

/** mirrord (miette) errors start with "Error:" or "×"; prefer such a line, else the last one. */
function pickErrorLine(lines: readonly string[]): string | undefined {
  return lines.find((l) => /^(error\b|×|x )/i.test(l)) ?? lines.at(-1);
}
