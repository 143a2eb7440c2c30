/**
 * One command in the foreground (`mirrord-up run`), as a shell runs one: in mirrord-up's own
 * process group, with its stdin, stdout and stderr (the terminal), so that the program can read
 * the terminal and the terminal's Ctrl-C reaches it directly. It starts through the held launcher
 * and is released only once the watchdog runs: every process of it carries the run's session
 * marker, which is how the watchdog finds it if mirrord-up is killed outright, and how whatever it
 * leaves behind (its children, mirrord's helpers) is stopped when it ends (TERM, grace, KILL).
 *
 * Signals to mirrord-up, while the program runs: SIGINT and SIGQUIT from the terminal reached the
 * program too and are left to it (it may well go on, as `psql` does); sent to mirrord-up alone
 * (it is not in the terminal's foreground), they are passed on to the program's processes.
 * SIGTERM and SIGHUP stop it as `up` stops a session; a second signal then kills at once.
 */
import type { SessionArgv } from "../plan/argv.js";
import { GroupStopper } from "./group-stopper.js";
import { launchHeld, NOT_RELEASED_STATUS } from "./launcher.js";
import { livingStat, markedProcesses, signalProcess } from "./process-groups.js";
import { exitStatus } from "./session.js";

const HANDLED_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGQUIT", "SIGTERM", "SIGHUP"];

export interface ForegroundCommand {
  argv: SessionArgv;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The run's id in the session marker that `env` carries. */
  runId: string;
  /** Grace period between SIGTERM and SIGKILL when stopping. */
  timeoutMs: number;
  /** False when the watchdog could not start: the program is then never released. */
  watchdogRuns: boolean;
  /** Where mirrord-up's own lines go (stderr). */
  notice(text: string): void;
}

export interface ForegroundResult {
  /** The program's exit status as a shell reports it (128 + signal number for a signal). */
  status: number;
  /** Why it could not be started at all. */
  error?: string;
  /** Every process of it ended (nothing was given up on after SIGKILL). */
  stoppedEverything: boolean;
}

export async function runInForeground(command: ForegroundCommand): Promise<ForegroundResult> {
  const { argv, runId } = command;
  const stopper = new GroupStopper(
    { timeoutMs: command.timeoutMs, runId },
    { notice: (text) => command.notice(text) },
  );
  let launched: ReturnType<typeof launchHeld>;
  try {
    launched = launchHeld(argv.file, argv.args, { cwd: command.cwd, env: command.env, attached: true });
  } catch (error) {
    return { status: 127, error: `cannot start: ${(error as Error).message}`, stoppedEverything: true };
  }
  const { child } = launched;
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null } | Error>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
    // Spawn failed (a missing working directory): no process.
    child.on("error", (error) => {
      if (child.pid === undefined) resolve(error);
    });
  });
  if (child.pid !== undefined) {
    if (command.watchdogRuns) launched.release();
    else launched.abort();
  }

  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      stopper.force([]);
      return;
    }
    if (signal === "SIGINT" || signal === "SIGQUIT") {
      if (!inTerminalForeground()) for (const pid of markedProcesses(runId)) signalProcess(pid, signal);
      return;
    }
    stopping = stopper.stop([], { everything: true });
  };
  const listeners = HANDLED_SIGNALS.map((signal) => {
    const listener = () => onSignal(signal);
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  try {
    const end = await ended;
    if (end instanceof Error) {
      const code = (end as NodeJS.ErrnoException).code ?? end.message;
      return { status: 127, error: `cannot start ${argv.file}: ${code}`, stoppedEverything: true };
    }
    // What it left behind ends with it, as a container's processes end with its main process.
    await stopping;
    await stopper.stop([], { everything: true });
    if (!command.watchdogRuns && end.code === NOT_RELEASED_STATUS) {
      return { status: 1, error: "cannot start: the watchdog could not start", stoppedEverything: true };
    }
    return { status: exitStatus(end), stoppedEverything: stopper.stoppedEverything };
  } finally {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  }
}

/** Is mirrord-up's process group the foreground of its terminal (so the terminal's signals reach the program too)? */
function inTerminalForeground(): boolean {
  const self = livingStat(process.pid);
  return self !== undefined && self.tpgid === self.pgrp;
}
