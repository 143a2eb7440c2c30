/**
 * One service's process: spawned in its own process group, stdin from /dev/null, stdout and
 * stderr framed into lines. A session has ended only when its leader has exited AND both of its
 * streams are drained, so that everything it wrote is printed before its end is reported.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
import { stripVTControlCharacters } from "node:util";
import type { SessionArgv } from "../plan/argv.js";
import type { SessionPlan } from "../plan/assemble.js";
import { LineSink, type OutputMux } from "./output.js";
import { signalGroup } from "./process-groups.js";
import { isReadyEvent, type ProgressEvent, parseProgressLine } from "./progress.js";

/** How long a leader's streams may stay open after it exited before its leftovers are stopped. */
const LEFTOVER_GRACE_MS = 300;
/** Lines of mirrord's stderr kept to explain a failure before readiness. */
const KEPT_ERROR_LINES = 20;

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
  durationMs: number;
}

export interface SessionHooks {
  onReady(session: Session): void;
  onEnd(session: Session): void;
}

export class Session {
  readonly name: string;
  pid?: number;
  startedAt = 0;
  readyAt?: number;
  result?: SessionResult;
  private stopRequested = false;
  private exitInfo?: { code: number | null; signal: NodeJS.Signals | null };
  private openStreams = 0;
  private readonly errorLines: string[] = [];
  private failedTask?: string;
  private readonly stdoutSink: LineSink;
  private readonly stderrSink: LineSink;

  constructor(
    readonly plan: SessionPlan,
    private readonly argv: SessionArgv,
    private readonly env: NodeJS.ProcessEnv,
    private readonly cwd: string,
    private readonly mux: OutputMux,
    private readonly hooks: SessionHooks,
  ) {
    this.name = plan.name;
    this.stdoutSink = new LineSink(mux, mux.linePrefix(this.name, "stdout"));
    this.stderrSink = new LineSink(mux, mux.linePrefix(this.name, "stderr"));
  }

  /** The process group id (the leader's pid); undefined until started. */
  get pgid(): number | undefined {
    return this.pid;
  }

  get isReady(): boolean {
    return this.readyAt !== undefined;
  }

  get hasEnded(): boolean {
    return this.result !== undefined;
  }

  start(): void {
    this.startedAt = performance.now();
    let child: ChildProcess;
    try {
      child = spawn(this.argv.file, this.argv.args, {
        cwd: this.cwd,
        env: this.env,
        // Own process group: the terminal's Ctrl-C reaches mirrord-up only, which then stops
        // each group as a whole (grandchildren included).
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      this.finish({ code: null, signal: null }, `cannot start: ${(error as Error).message}`);
      return;
    }
    this.pid = child.pid;
    if (this.plan.type !== "local") this.watchProgress();
    child.on("error", (error: NodeJS.ErrnoException) => {
      // Spawn failed (ENOENT, EACCES): no process, no streams to wait for.
      if (this.pid === undefined)
        this.finish(
          { code: null, signal: null },
          `cannot start ${this.argv.file}: ${error.code ?? error.message}`,
        );
    });
    if (child.pid === undefined) return;
    this.attach(child.stdout, this.stdoutSink);
    this.attach(child.stderr, this.stderrSink);
    child.on("exit", (code, signal) => {
      this.exitInfo = { code, signal };
      if (this.openStreams === 0) return this.finish(this.exitInfo);
      // A descendant still holds the pipes: stop what the leader left behind, then finish
      // once they close, so that nothing written is lost.
      setTimeout(() => {
        if (!this.hasEnded) signalGroup(this.pid as number, "SIGTERM");
      }, LEFTOVER_GRACE_MS).unref();
    });
    if (this.plan.type === "local") {
      this.mux.status(this.name, `started (pid ${child.pid})`, "dim");
      this.markReady();
    }
  }

  /** Sends `signal` to the whole group. Marks the session as stopped by us if it is still running. */
  signal(signal: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    if (!this.exitInfo) this.stopRequested = true;
    signalGroup(this.pid, signal);
  }

  private attach(stream: NodeJS.ReadableStream | null, sink: LineSink): void {
    if (!stream) return;
    this.openStreams++;
    const readable = stream as NodeJS.ReadableStream & { pause(): void; resume(): void };
    readable.on("data", (chunk: Buffer) => {
      if (!sink.push(chunk)) {
        readable.pause();
        this.mux.onDrain(() => readable.resume());
      }
    });
    let closed = false;
    const done = () => {
      if (closed) return;
      closed = true;
      sink.end();
      this.openStreams--;
      if (this.openStreams === 0 && this.exitInfo) this.finish(this.exitInfo);
    };
    readable.on("end", done);
    readable.on("close", done);
    readable.on("error", done);
  }

  /** Until mirrord says `Ready!`, stdout lines are its progress, shown as status lines. */
  private watchProgress(): void {
    this.stdoutSink.intercept = (line) => {
      const text = line.toString("utf8");
      const event = parseProgressLine(text);
      if (isReadyEvent(event, text)) {
        this.stdoutSink.intercept = undefined;
        this.stderrSink.intercept = undefined;
        this.markReady();
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

  private markReady(): void {
    if (this.readyAt !== undefined) return;
    this.readyAt = performance.now();
    if (this.plan.type !== "local") {
      this.mux.status(this.name, `ready in ${formatDuration(this.readyAt - this.startedAt)}`, "ok");
    }
    this.hooks.onReady(this);
  }

  private finish(exit: { code: number | null; signal: NodeJS.Signals | null }, startError?: string): void {
    if (this.result) return;
    const beforeReady = this.readyAt === undefined;
    let error = startError;
    if (!error && beforeReady && this.plan.type !== "local" && !this.stopRequested && exit.code !== 0) {
      error = this.failedTask ?? pickErrorLine(this.errorLines) ?? "mirrord printed no error";
    }
    this.result = {
      code: exit.code,
      signal: exit.signal,
      stoppedByUs: this.stopRequested,
      beforeReady,
      error,
      durationMs: performance.now() - this.startedAt,
    };
    this.hooks.onEnd(this);
  }
}

/** "exited with code 1", "killed by SIGKILL", ... */
export function describeEnd(result: SessionResult): string {
  if (result.error && result.code === null && result.signal === null) return result.error;
  const how = result.signal ? `killed by ${result.signal}` : `exited with code ${result.code}`;
  return result.stoppedByUs ? `stopped (${how})` : how;
}

/** The exit status a shell would report: the code, or 128 + the signal number. */
export function exitStatus(result: SessionResult): number {
  if (result.signal) return 128 + (constants.signals[result.signal] ?? 0);
  return result.code ?? 127;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** mirrord (miette) errors start with "Error:" or "×"; prefer such a line, else the last one. */
function pickErrorLine(lines: readonly string[]): string | undefined {
  return lines.find((l) => /^(error\b|×|x )/i.test(l)) ?? lines.at(-1);
}
