/**
 * `ready_when` checks, each a function doing one real check (a TCP connect, an HTTP GET, a
 * command), and `waitUntilReady`, which repeats one every interval until it passes or the timeout
 * is up. Each attempt is bounded by what is left of the timeout, so a server that accepts and
 * never answers cannot stretch it.
 */
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { compileRustRegex, type RustRegex } from "../core/regex-engine.js";
import type { ReadinessCheck } from "../plan/lifecycle.js";
import { formatDuration } from "../text/duration.js";
import { signalGroup } from "./process-groups.js";

export type ProbeOutcome =
  | { ok: true }
  /** `fatal`: trying again cannot help (the program does not exist). */
  | { ok: false; reason: string; fatal?: boolean };

/** Ready when a TCP connection to 127.0.0.1:`port` is accepted. */
export function checkPort(port: number, signal: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve({ ok: false, reason: `port ${port}: no answer` });
    const socket = connect({ host: "127.0.0.1", port });
    const done = (outcome: ProbeOutcome) => {
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = () => done({ ok: false, reason: `port ${port}: no answer` });
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => done({ ok: true }));
    socket.once("error", (error: NodeJS.ErrnoException) =>
      done({
        ok: false,
        reason:
          error.code === "ECONNREFUSED"
            ? `port ${port} refused`
            : `port ${port}: ${error.code ?? error.message}`,
      }),
    );
  });
}

/** Ready when a GET of `url` answers 2xx or 3xx (a redirect is an answer: it is not followed). */
export async function checkHttp(url: string, signal: AbortSignal): Promise<ProbeOutcome> {
  try {
    const response = await fetch(url, {
      redirect: "manual",
      signal,
      headers: { "user-agent": "mirrord-up" },
    });
    // The body is not needed; do not keep the connection busy reading it.
    await response.body?.cancel().catch(() => {});
    if (response.status >= 200 && response.status < 400) return { ok: true };
    return { ok: false, reason: `${url} answered ${response.status}` };
  } catch (error) {
    if (signal.aborted) return { ok: false, reason: `${url}: no answer` };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, reason: `${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
  }
}

export interface CommandContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

/**
 * Ready when `argv` exits 0. Run without a shell, in its own process group (stopped whole when
 * the attempt runs out of time), with the service's working directory and environment, so it
 * carries the session's marker and is found by the stop sweep like the session's own processes.
 */
export function checkCommand(argv: readonly string[], context: CommandContext): Promise<ProbeOutcome> {
  const shown = `\`${argv.join(" ")}\``;
  return new Promise((resolve) => {
    if (context.signal.aborted) return resolve({ ok: false, reason: `${shown} did not finish` });
    const [program, ...args] = argv as [string, ...string[]];
    const child = spawn(program, args, {
      cwd: context.cwd,
      env: context.env,
      detached: true,
      stdio: "ignore",
    });
    let settled = false;
    const done = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      context.signal.removeEventListener("abort", onAbort);
      resolve(outcome);
    };
    const onAbort = () => {
      if (child.pid !== undefined) signalGroup(child.pid, "SIGKILL");
      done({ ok: false, reason: `${shown} did not finish` });
    };
    context.signal.addEventListener("abort", onAbort, { once: true });
    child.once("error", (error: NodeJS.ErrnoException) => {
      const missing = error.code === "ENOENT" || error.code === "EACCES";
      done({ ok: false, reason: `${shown}: cannot run it (${error.code ?? error.message})`, fatal: missing });
    });
    child.once("exit", (code, signal) => {
      if (code === 0) done({ ok: true });
      else
        done({
          ok: false,
          reason: `${shown} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`,
        });
    });
  });
}

/** `ready_when.log`: remembers whether a line of the service's output matched. */
export class LogMatcher {
  matched = false;
  private regex?: RustRegex;

  constructor(pattern: string) {
    this.regex = compileRustRegex(pattern);
  }

  /** Offers one line (colours and other control sequences are ignored); true on the first match. */
  offer(line: string): boolean {
    if (this.matched || !this.regex) return false;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are what is removed
    const plain = line.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "");
    if (!this.regex.isMatch(plain)) return false;
    this.matched = true;
    this.dispose();
    return true;
  }

  dispose(): void {
    this.regex?.free();
    this.regex = undefined;
  }
}

export interface WaitOptions {
  intervalMs: number;
  timeoutMs: number;
  /** Aborted when waiting is pointless (the session ended, mirrord-up is stopping). */
  signal: AbortSignal;
  /** One attempt; its signal is aborted when the attempt must give up. */
  attempt(signal: AbortSignal): Promise<ProbeOutcome>;
  /** Lets an event (a matching log line) cut the wait before the next attempt short. */
  onWake?(wake: () => void): () => void;
}

export type WaitResult =
  | { ok: true }
  | { ok: false; aborted: true }
  | { ok: false; aborted: false; reason: string };

const NO_ATTEMPT = "no attempt finished";

/**
 * Tries `attempt` until it passes, every `intervalMs`, for at most `timeoutMs`:
 * `{ok: false, reason: "not ready after 60s (port 8080 refused)"}` when the time is up.
 */
export async function waitUntilReady(options: WaitOptions): Promise<WaitResult> {
  const { intervalMs, timeoutMs, signal } = options;
  const started = performance.now();
  let last = NO_ATTEMPT;
  const left = () => timeoutMs - (performance.now() - started);
  for (;;) {
    if (signal.aborted) return { ok: false, aborted: true };
    const remaining = left();
    if (remaining <= 0) break;
    const deadline = AbortSignal.timeout(Math.ceil(remaining));
    const outcome = await options.attempt(AbortSignal.any([signal, deadline]));
    if (outcome.ok) return outcome;
    if (signal.aborted) return { ok: false, aborted: true };
    // An attempt cut short by the deadline says nothing new ("no answer" only because time ran
    // out, e.g. on a loaded machine): the last answer an attempt did get is the one to report.
    if (!deadline.aborted || last === NO_ATTEMPT) last = outcome.reason;
    if (outcome.fatal) return { ok: false, aborted: false, reason: `not ready: ${last}` };
    const pause = Math.min(intervalMs, left());
    if (pause <= 0) break;
    await sleep(pause, signal, options.onWake);
  }
  return { ok: false, aborted: false, reason: `not ready after ${formatDuration(timeoutMs)} (${last})` };
}

function sleep(ms: number, signal: AbortSignal, onWake: WaitOptions["onWake"]): Promise<void> {
  return new Promise((resolve) => {
    let unsubscribe: (() => void) | undefined;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      unsubscribe?.();
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    unsubscribe = onWake?.(done);
    if (settled) unsubscribe?.();
  });
}

/** The attempt function for a check; `log` checks read `matcher`. */
export function attemptFor(
  check: ReadinessCheck,
  context: { cwd: string; env: NodeJS.ProcessEnv; matcher?: LogMatcher },
): (signal: AbortSignal) => Promise<ProbeOutcome> {
  switch (check.kind) {
    case "port":
      return (signal) => checkPort(check.port, signal);
    case "http":
      return (signal) => checkHttp(check.url, signal);
    case "command":
      return (signal) => checkCommand(check.command, { cwd: context.cwd, env: context.env, signal });
    case "log":
      return async () =>
        context.matcher?.matched ? { ok: true } : { ok: false, reason: `no line matched /${check.pattern}/` };
  }
}
