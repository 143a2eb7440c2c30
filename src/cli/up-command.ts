/** `mirrord-up [up] [SERVICE...]`: validate, check, then hand the sessions to the supervisor. */

import { isAbsolute } from "node:path";
import { stopRenders } from "../config/render-worker.js";
import { DashboardHost } from "../control/dashboard-server.js";
import { alreadyRunningError, type ControlSocket, claimControlSocket } from "../control/server.js";
import { colorsFor, wantsColor } from "../core/colors.js";
import { formatDiagnostic, sortDiagnostics, UserError, writeInternalError } from "../core/errors.js";
import { shownPath } from "../core/files.js";
import { sessionArgv } from "../plan/argv.js";
import type { SessionPlan } from "../plan/assemble.js";
import { removedVariables, sessionEnv } from "../plan/mirrord-env.js";
import { renderMirrordJson } from "../plan/mirrord-json.js";
import { sessionHeader } from "../plan/session-filter.js";
import { PrivateConfigDir } from "../run/config-dir.js";
import { EventLog } from "../run/event-log.js";
import { watchFiles } from "../run/file-watch.js";
import { findExecutable } from "../run/find-executable.js";
import { GroupStopper } from "../run/group-stopper.js";
import { DEFAULT_LOG_LIMITS, LogBuffer } from "../run/log-buffer.js";
import { startUi } from "../run/mirrord-ui.js";
import { foundHereHint, foundOnlyFrom } from "../run/missing-path.js";
import { OutputMux } from "../run/output.js";
import {
  keepDescriptorReserve,
  ranOutOfDescriptors,
  SESSION_MARKER_VAR,
  sessionMarker,
} from "../run/process-groups.js";
import { runControl } from "../run/run-control.js";
import { Session } from "../run/session.js";
import { type Planner, type SessionFactory, Supervisor } from "../run/supervisor.js";
import { WatchdogClient } from "../run/watchdog-client.js";
import { randomHex } from "../text/lazy-builtins.js";
import { preflight } from "./doctor-command.js";
import type { CliIO } from "./io.js";
import { type Prepared, prepare, prepareOffThread } from "./prepare.js";
import { type ResolveFlags, resolveInferredTargets } from "./resolve-targets.js";

const MIRRORD_INSTALL_URL = "https://github.com/metalbear-co/mirrord#installation";

export interface UpFlags extends ResolveFlags {
  mirrordBin?: string;
  ui: boolean;
  timeoutSeconds: number;
  keepGoing: boolean;
  color: boolean;
  logPrefix: boolean;
  timestamps: boolean;
  /** `--watch`: reload when the file or an env file changes. */
  watch?: boolean;
  /** `--log-lines`, `--log-bytes`: what `logs` keeps per service. */
  logLines?: number;
  logBytes?: number;
  /** `--dashboard`: serve the web dashboard while the run lasts. */
  dashboard?: boolean;
  /** `--dashboard-port`: its port (default: a free one). */
  dashboardPort?: number;
  /** `--preflight`: run doctor's checks first and start nothing after a problem. */
  preflight?: boolean;
  /** `--request-timeout`: the bound of each of the preflight's cluster requests. */
  requestTimeoutSeconds?: number;
}

export async function runUpCommand(flags: UpFlags, services: string[], io: CliIO): Promise<number> {
  if (flags.preflight) {
    const checks = { ...flags, requestTimeoutSeconds: flags.requestTimeoutSeconds ?? 5 };
    if (!(await preflight(checks, services, io))) return 1;
  }
  const prepared = prepare(flags, services, io);
  // Local checks first: a missing binary should not wait for a cluster or a prompt.
  const needsMirrord = flags.ui || needsMirrordBinary(prepared);
  const mirrord = needsMirrord ? findMirrord(flags, io) : "mirrord";
  checkPrograms(prepared, io);
  // The private directory first: a TMPDIR that cannot be used is reported as such.
  const configDir = new PrivateConfigDir();
  const removeOnExit = () => configDir.remove();
  process.on("exit", removeOnExit);
  try {
    // Claimed before anything starts: a second `up` for the same file is refused with nothing started.
    const claim = await claimControlSocket(flags.configFile, io.env, io.cwd);
    if (claim.kind !== "claimed") throw alreadyRunningError(claim);
    const control = claim.socket;
    try {
      await resolveInferredTargets(prepared, flags, io);
      return await runSessions(prepared, flags, services, mirrord, configDir, control, io);
    } finally {
      await control.close();
    }
  } finally {
    configDir.remove();
    process.off("exit", removeOnExit);
  }
}

async function runSessions(
  prepared: Prepared,
  flags: UpFlags,
  services: string[],
  mirrord: string,
  configDir: PrivateConfigDir,
  control: ControlSocket,
  io: CliIO,
): Promise<number> {
  const { plan } = prepared;

  const colors = colorsFor(io.stdout, io.env, flags.color ? undefined : false);
  const logBuffer = new LogBuffer({
    lines: flags.logLines ?? DEFAULT_LOG_LIMITS.lines,
    bytes: flags.logBytes ?? DEFAULT_LOG_LIMITS.bytes,
  });
  const mux = new OutputMux(
    io.stdout,
    plan.sessions.map((s) => s.name),
    {
      colors,
      prefix: flags.logPrefix,
      timestamps: flags.timestamps,
      record: (service, stream, data, lines) => logBuffer.append(service, stream, data, lines),
    },
  );
  for (const w of plan.warnings) mux.status(w.service, `warning: ${w.message}`, "warn");

  const timeoutMs = flags.timeoutSeconds * 1000;
  // Marks every process of this run (see `markedProcesses`), so that one that left its process
  // group is still found and stopped.
  const runId = randomHex(8);
  // Stopping reads /proc: it must find a descriptor even when others have taken every one.
  keepDescriptorReserve();
  control.trouble.listener = (text) => mux.notice(`mirrord-up: warning: ${text}`, "warn");
  let supervisor: Supervisor | undefined;
  const watchdog = new WatchdogClient(timeoutMs, configDir.path, runId, io.env, {
    replaced: (reason) => mux.notice(`mirrord-up: warning: ${reason}`, "warn"),
    lost: (reason) => supervisor?.fail(reason),
  });
  let dashboard: DashboardHost | undefined;
  // The watchdog may stand down only after a stop that completed.
  let stopped = false;
  const coreFailure = failRunOnUncaught(watchdog, configDir, io);
  try {
    const childEnv = sessionBaseEnv(io, flags);
    const removed = removedVariables(plan.sessions, childEnv);
    if (removed.length > 0) {
      mux.notice(
        `mirrord-up: warning: ignoring ${removed.join(", ")} from the environment: mirrord-up decides these settings, as mirrord up does`,
        "warn",
      );
    }
    const extraGroups: number[] = [];
    if (flags.ui) {
      const pgid = startUi(mirrord, childEnv, io.cwd, mux);
      if (pgid !== undefined) {
        watchdog.registerRunning(pgid);
        extraGroups.push(pgid);
      }
    }
    const createSession: SessionFactory = (s, hooks) => {
      const file = s.mirrordConfig ? configDir.write(s.name, renderMirrordJson(s.mirrordConfig)) : "";
      const { env, cwd } = sessionProcess(s, childEnv, runId, prepared.projectDir);
      return new Session(s, sessionArgv(s, mirrord, file, plan.key), env, cwd, mux, hooks, watchdog, io.cwd);
    };
    const header = plan.sessions.some((s) => s.usesSessionFilter) ? sessionHeader(plan.key) : undefined;
    const events = new EventLog();
    // Printed when the dashboard starts, and again in the ready banner.
    let dashboardUrl: string | undefined;
    supervisor = new Supervisor(
      plan.sessions,
      mux,
      { keepGoing: flags.keepGoing, timeoutMs, sessionHeader: header, dashboardUrl: () => dashboardUrl },
      {
        createSession,
        planner: replanner(flags, services, io),
        stopper: new GroupStopper({ timeoutMs, runId, extraGroups }, mux),
        events,
      },
    );
    const running = runControl(supervisor, logBuffer, events, {
      file: prepared.loaded.absolutePath,
      key: plan.key,
      context: flags.context,
      sessionHeader: header,
      runId,
    });
    const names = plan.sessions.map((s) => s.name).join(", ");
    const n = plan.sessions.length;
    // Served with --dashboard, or when `mirrord-up dashboard` asks; its address is printed once.
    const host = new DashboardHost(
      running,
      (url) => {
        dashboardUrl = url;
        mux.notice(`dashboard: ${url}`);
      },
      (text) => mux.notice(`mirrord-up: ${text}`, "warn"),
    );
    dashboard = host;
    if (flags.dashboard) await host.open(flags.dashboardPort);
    mux.notice(`mirrord-up: starting ${n} service${n === 1 ? "" : "s"} (${names}), key ${plan.key}`, "dim");
    control.serve(running, { dashboard: (port) => host.open(port ?? flags.dashboardPort) });
    const watch = flags.watch ? watchConfig(prepared, supervisor, mux, io.cwd) : undefined;
    let code: number;
    try {
      code = await supervisor.run();
      stopped = supervisor.stoppedEverything && !coreFailure.failed;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      io.stderr.write(`mirrord-up: stopping failed (${message}); the watchdog stops every service\n`);
      code = 1;
    } finally {
      watch?.close();
      stopRenders();
    }
    reportOutputTrouble(mux, supervisor.outputCut(), io);
    if (ranOutOfDescriptors()) {
      io.stderr.write(
        "mirrord-up: warning: mirrord-up ran out of file descriptors (EMFILE) during this run; its reserve kept /proc readable\n",
      );
    }
    // The run's core failed meanwhile: the sessions are the watchdog's, and the exit code is 1.
    if (coreFailure.failed) {
      await coreFailure.failed;
      return 1;
    }
    return code;
  } finally {
    coreFailure.dispose();
    await dashboard?.close();
    if (stopped) {
      configDir.remove();
      watchdog.release();
    } else {
      await watchdog.abandon();
      configDir.remove();
    }
  }
}

/**
 * The environment and working directory of a service's process, as `up` starts it and `run`
 * starts a one-off command for it: marked with the run's session marker (see `markedProcesses`).
 */
export function sessionProcess(
  s: SessionPlan,
  childEnv: NodeJS.ProcessEnv,
  runId: string,
  projectDir: string,
): { env: NodeJS.ProcessEnv; cwd: string } {
  const marker = { [SESSION_MARKER_VAR]: sessionMarker(runId, s.name) };
  // A local service's env file comes before its `env.override` (mirrord reads its own).
  const base = s.type === "local" ? { ...childEnv, ...s.lifecycle.envFile?.vars } : childEnv;
  return { env: { ...sessionEnv(base, s), ...marker }, cwd: s.lifecycle.workingDir?.path ?? projectDir };
}

/**
 * An exception that escapes the run's own code (the scheduler, a session's callbacks) ends the
 * run: it is said with its cause, the watchdog stops every session (its pipe closed without
 * `done`), and mirrord-up exits 1. What one request, client or file causes never gets here:
 * each is answered or reported where it is served.
 */
function failRunOnUncaught(
  watchdog: WatchdogClient,
  configDir: PrivateConfigDir,
  io: CliIO,
): { dispose(): void; readonly failed: Promise<void> | undefined } {
  let failed: Promise<void> | undefined;
  const fail = (error: unknown) => {
    if (failed) return;
    writeInternalError(error, io.stderr, io.env, "; the watchdog stops every service");
    failed = watchdog.abandon().then(() => {
      configDir.remove();
      process.exit(1);
    });
  };
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
  return {
    get failed() {
      return failed;
    },
    dispose() {
      process.off("uncaughtException", fail);
      process.off("unhandledRejection", fail);
    },
  };
}

/**
 * For control actions (restart, start, reload): the file read, validated and planned again, as at
 * start (never prompting: there is no terminal to ask on). `undefined` means the run's own
 * selection; names select those services (even `skip: true` ones).
 */
function replanner(flags: UpFlags, selection: readonly string[], io: CliIO): Planner {
  return async (names) => {
    try {
      const prepared = await prepareOffThread(flags, names ?? selection, io);
      checkPrograms(prepared, io);
      await resolveInferredTargets(prepared, { ...flags, interactive: false }, io);
      return { ok: true, sessions: prepared.plan.sessions };
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      return { ok: false, errors: sortDiagnostics(error.diagnostics).map((d) => formatDiagnostic(d)) };
    }
  };
}

/**
 * `--watch`: the file and the env files, reloaded (as `mirrord-up reload` does) when one of them
 * changes; the list of env files is read again after each reload.
 */
function watchConfig(prepared: Prepared, supervisor: Supervisor, mux: OutputMux, cwd: string) {
  const file = prepared.loaded.absolutePath;
  const watch = watchFiles(
    () => [file, ...supervisor.envFiles()],
    (paths) => {
      // Each as the user would type it from here, the YAML file and the env files alike.
      const names = paths.map((p) => shownPath(p, cwd)).join(", ");
      mux.notice(`mirrord-up: watch: ${names} changed, reloading`, "dim");
      supervisor
        .reload()
        .catch((error: Error) => mux.notice(`mirrord-up: watch: reload failed: ${error.message}`, "error"))
        .finally(() => watch.refresh());
    },
  );
  return watch;
}

/** What could not be shown goes to stderr, the only place left to say it. */
function reportOutputTrouble(mux: OutputMux, cut: string[], io: CliIO): void {
  if (mux.failed) {
    io.stderr.write(`mirrord-up: cannot write output (${mux.closedBy}); every service was stopped\n`);
  }
  if (cut.length > 0) {
    io.stderr.write(
      `mirrord-up: output was blocked while stopping; what ${cut.join(", ")} wrote last was not shown\n`,
    );
  }
}

/** Children write to a pipe; when our own output shows colour, ask them for colour too. */
function sessionBaseEnv(io: CliIO, flags: UpFlags): NodeJS.ProcessEnv {
  const env = { ...io.env };
  if (
    flags.color &&
    wantsColor(io.stdout, io.env) &&
    env.FORCE_COLOR === undefined &&
    env.NO_COLOR === undefined
  ) {
    env.FORCE_COLOR = "1";
  }
  return env;
}

/** `--mirrord-bin` > `MIRRORD_BIN` > `mirrord` on PATH. */
export function findMirrord(flags: { mirrordBin?: string }, io: CliIO): string {
  const requested = flags.mirrordBin ?? io.env.MIRRORD_BIN ?? "mirrord";
  const source = flags.mirrordBin ? "--mirrord-bin" : io.env.MIRRORD_BIN ? "MIRRORD_BIN" : "PATH";
  const found = findExecutable(requested, io.env.PATH, io.cwd);
  if (found) return found;
  throw new UserError({
    message: `mirrord was not found (${source === "PATH" ? "no `mirrord` on PATH" : `${source}=${requested} is not an executable file`})`,
    hint: `install it: ${MIRRORD_INSTALL_URL}, or point at it with --mirrord-bin PATH or MIRRORD_BIN`,
  });
}

/** Whether some service runs through mirrord (a local one does not). */
export function needsMirrordBinary({ plan }: Prepared): boolean {
  return plan.sessions.some((s) => s.type !== "local");
}

/** Every program must exist before anything starts: one message per missing program. */
export function checkPrograms({ plan, loaded, projectDir }: Prepared, io: CliIO): void {
  const problems = plan.sessions.flatMap((s) => {
    const program = s.command[0] ?? "";
    const pathVar = s.type === "local" ? (s.env.PATH ?? io.env.PATH) : io.env.PATH;
    // A relative program (`./server.sh`) is looked up where it will run.
    const ranIn = s.lifecycle.workingDir?.path ?? projectDir;
    if (findExecutable(program, pathVar, ranIn)) return [];
    const relative = program.includes("/") && !isAbsolute(program);
    const found = relative && foundOnlyFrom([program], ranIn, io.cwd).length > 0;
    return [
      {
        ...loaded.locate(["services", s.name, "run", "command", 0]),
        message: `services.${s.name}.run.command: program "${program}" was not found${relative ? ` in ${ranIn}` : program.includes("/") ? "" : " on PATH"}`,
        ...(found && { hint: foundHereHint(program, io.cwd) }),
      },
    ];
  });
  if (problems.length > 0) throw new UserError(problems);
}
