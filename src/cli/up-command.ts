/** `mirrord-up [up] [SERVICE...]`: validate, check, then hand the sessions to the supervisor. */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { UserError } from "../config/diagnostics.js";
import { sessionArgv } from "../plan/argv.js";
import type { RunPlan } from "../plan/assemble.js";
import { renderMirrordJson } from "../plan/mirrord-json.js";
import { sessionHeader } from "../plan/session-filter.js";
import { PrivateConfigDir } from "../run/config-dir.js";
import { findExecutable } from "../run/find-executable.js";
import { OutputMux } from "../run/output.js";
import { SESSION_MARKER_VAR, sessionMarker } from "../run/process-groups.js";
import { Session } from "../run/session.js";
import { Supervisor } from "../run/supervisor.js";
import { type GroupRegistry, WatchdogClient } from "../run/watchdog-client.js";
import { colorsFor, wantsColor } from "./colors.js";
import type { CliIO } from "./io.js";
import { type Prepared, prepare } from "./prepare.js";
import { type ResolveFlags, resolveInferredTargets } from "./resolve-targets.js";

export const MIRRORD_INSTALL_URL = "https://github.com/metalbear-co/mirrord#installation";

export interface UpFlags extends ResolveFlags {
  mirrordBin?: string;
  ui: boolean;
  timeoutSeconds: number;
  keepGoing: boolean;
  color: boolean;
  logPrefix: boolean;
  timestamps: boolean;
}

export async function runUpCommand(flags: UpFlags, services: string[], io: CliIO): Promise<number> {
  const prepared = prepare(flags, services, io);
  const { plan } = prepared;
  // Local checks first: a missing binary should not wait for a cluster or a prompt.
  const needsMirrord = flags.ui || plan.sessions.some((s) => s.type !== "local");
  const mirrord = needsMirrord ? findMirrord(flags, io) : "mirrord";
  checkPrograms(prepared, io);
  await resolveInferredTargets(prepared, flags, io);

  const colors = colorsFor(io.stdout, io.env, flags.color ? undefined : false);
  const mux = new OutputMux(
    io.stdout,
    plan.sessions.map((s) => s.name),
    { colors, prefix: flags.logPrefix, timestamps: flags.timestamps },
  );
  for (const w of plan.warnings) mux.status(w.service, `warning: ${w.message}`, "warn");

  const configDir = new PrivateConfigDir();
  const removeOnExit = () => configDir.remove();
  process.on("exit", removeOnExit);
  const timeoutMs = flags.timeoutSeconds * 1000;
  // Marks every process of this run (see `markedProcesses`), so that one that left its process
  // group is still found and stopped.
  const runId = randomBytes(8).toString("hex");
  const watchdog = new WatchdogClient(timeoutMs, configDir.path, runId, io.env);
  try {
    const childEnv = sessionBaseEnv(io, flags);
    const extraGroups: number[] = [];
    if (flags.ui) {
      const pgid = startUi(mirrord, childEnv, io, mux);
      if (pgid !== undefined) {
        watchdog.register(pgid).catch(() => {});
        extraGroups.push(pgid);
      }
    }
    const supervisor: Supervisor = new Supervisor([], mux, {
      keepGoing: flags.keepGoing,
      timeoutMs,
      sessionHeader: plan.sessions.some((s) => s.usesSessionFilter) ? sessionHeader(plan.key) : undefined,
      extraGroups,
      runId,
    });
    const sessions = createSessions(plan, mirrord, configDir, childEnv, io, mux, supervisor, watchdog, runId);
    supervisor.setSessions(sessions);
    const names = sessions.map((s) => s.name).join(", ");
    mux.notice(
      `mirrord-up: starting ${sessions.length} service${sessions.length === 1 ? "" : "s"} (${names}), key ${plan.key}`,
      "dim",
    );
    const code = await supervisor.run();
    reportOutputTrouble(mux, sessions, io);
    return code;
  } finally {
    configDir.remove();
    process.off("exit", removeOnExit);
    watchdog.release();
  }
}

function createSessions(
  plan: RunPlan,
  mirrord: string,
  configDir: PrivateConfigDir,
  childEnv: NodeJS.ProcessEnv,
  io: CliIO,
  mux: OutputMux,
  supervisor: Supervisor,
  groups: GroupRegistry,
  runId: string,
): Session[] {
  return plan.sessions.map((s) => {
    const file = s.mirrordConfig ? configDir.write(s.name, renderMirrordJson(s.mirrordConfig)) : "";
    const marker = { [SESSION_MARKER_VAR]: sessionMarker(runId, s.name) };
    const env =
      s.type === "local"
        ? { ...childEnv, ...s.env, ...marker }
        : // JSON progress: structured readiness and failures, and no spinner in the merged output.
          { ...childEnv, MIRRORD_PROGRESS_MODE: "json", ...marker };
    const hooks = { onReady: supervisor.handleReady, onEnd: supervisor.handleEnd };
    return new Session(s, sessionArgv(s, mirrord, file, plan.key), env, io.cwd, mux, hooks, groups);
  });
}

/** What could not be shown goes to stderr, the only place left to say it. */
function reportOutputTrouble(mux: OutputMux, sessions: Session[], io: CliIO): void {
  if (mux.failed) {
    io.stderr.write(`mirrord-up: cannot write output (${mux.closedBy}); every session was stopped\n`);
  }
  const cut = sessions.filter((s) => s.outputCut).map((s) => s.name);
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
function findMirrord(flags: UpFlags, io: CliIO): string {
  const requested = flags.mirrordBin ?? io.env.MIRRORD_BIN ?? "mirrord";
  const source = flags.mirrordBin ? "--mirrord-bin" : io.env.MIRRORD_BIN ? "MIRRORD_BIN" : "PATH";
  const found = findExecutable(requested, io.env.PATH, io.cwd);
  if (found) return found;
  throw new UserError({
    message: `mirrord was not found (${source === "PATH" ? "no `mirrord` on PATH" : `${source}=${requested} is not an executable file`})`,
    hint: `install it: ${MIRRORD_INSTALL_URL}, or point at it with --mirrord-bin PATH or MIRRORD_BIN`,
  });
}

/** Every program must exist before anything starts: one message per missing program. */
function checkPrograms({ plan, loaded }: Prepared, io: CliIO): void {
  const problems = plan.sessions.flatMap((s) => {
    const program = s.command[0] ?? "";
    const pathVar = s.type === "local" ? (s.env.PATH ?? io.env.PATH) : io.env.PATH;
    if (findExecutable(program, pathVar, io.cwd)) return [];
    return [
      {
        ...loaded.locate(["services", s.name, "run", "command", 0]),
        message: `services.${s.name}.run.command: program "${program}" was not found${program.includes("/") ? "" : " on PATH"}`,
      },
    ];
  });
  if (problems.length > 0) throw new UserError(problems);
}

/** `-u, --ui`: `mirrord ui` beside the sessions; a failure is a warning, as upstream. */
function startUi(mirrord: string, env: NodeJS.ProcessEnv, io: CliIO, mux: OutputMux): number | undefined {
  const child = spawn(mirrord, ["ui"], {
    cwd: io.cwd,
    env,
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  child.on("error", (error) =>
    mux.notice(`mirrord-up: warning: mirrord ui did not start: ${error.message}`, "warn"),
  );
  child.on("exit", (code, signal) => {
    if (code === 0 || signal) return;
    const why = stderr.trim().split("\n").at(-1) ?? "";
    mux.notice(
      `mirrord-up: warning: mirrord ui exited with code ${code}${why ? `: ${why}` : ""}; carrying on without it`,
      "warn",
    );
  });
  child.unref();
  return child.pid;
}
