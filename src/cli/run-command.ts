/**
 * `mirrord-up run SERVICE [--steal] [-- CMD...]`: a one-off command (a migration, a shell) under
 * one service's mirrord configuration and environment, in the foreground, as `docker compose
 * run` runs one in a service's container. It needs no running `up`: it reads the file as `up`
 * does. What it hands mirrord: plan/one-off.ts; how it runs: run/one-off.ts.
 */
import { UserError } from "../core/errors.js";
import { sessionArgv } from "../plan/argv.js";
import { removedVariables } from "../plan/mirrord-env.js";
import { renderMirrordJson } from "../plan/mirrord-json.js";
import { oneOffPlan } from "../plan/one-off.js";
import { PrivateConfigDir } from "../run/config-dir.js";
import { findExecutable } from "../run/find-executable.js";
import { runInForeground } from "../run/one-off.js";
import { WatchdogClient } from "../run/watchdog-client.js";
import { randomHex } from "../text/lazy-builtins.js";
import type { CliIO } from "./io.js";
import { prepare } from "./prepare.js";
import { type ResolveFlags, resolveInferredTargets } from "./resolve-targets.js";
import { checkPrograms, findMirrord, sessionProcess } from "./up-command.js";

export interface RunFlags extends ResolveFlags {
  mirrordBin?: string;
  timeoutSeconds: number;
  /** `--steal`: the service's incoming traffic as `up` takes it, instead of none. */
  steal: boolean;
}

/** Resolves to the command's exit status, which becomes mirrord-up's. */
export async function runRunCommand(
  flags: RunFlags,
  service: string,
  command: readonly string[],
  io: CliIO,
): Promise<number> {
  const prepared = prepare(flags, [service], io);
  // The selection holds what it depends on too: a one-off starts none of it (`run --no-deps`).
  const own = prepared.plan.sessions.find((s) => s.name === service);
  if (!own) throw new Error(`the plan has no ${service}`);
  prepared.plan.sessions = [own];
  const runId = randomHex(8);
  const { env, cwd } = sessionProcess(own, io.env, runId, prepared.projectDir);
  // Local checks first: a missing program should not wait for a cluster or a prompt.
  const mirrord = own.type === "local" ? "" : findMirrord(flags, io);
  if (command.length === 0) checkPrograms(prepared, io);
  else checkProgram(command[0] as string, own.type === "local" ? env.PATH : io.env.PATH, cwd);
  const removed = removedVariables([own], io.env);
  if (removed.length > 0) {
    io.stderr.write(
      `mirrord-up: warning: ignoring ${removed.join(", ")} from the environment: mirrord-up decides these settings\n`,
    );
  }
  await resolveInferredTargets(prepared, flags, io);
  const plan = oneOffPlan(own, command, flags.steal);

  const configDir = new PrivateConfigDir();
  const removeOnExit = () => configDir.remove();
  process.on("exit", removeOnExit);
  const timeoutMs = flags.timeoutSeconds * 1000;
  const watchdog = new WatchdogClient(timeoutMs, configDir.path, runId, io.env);
  let stoppedEverything = false;
  try {
    const file = plan.mirrordConfig ? configDir.write(plan.name, renderMirrordJson(plan.mirrordConfig)) : "";
    // mirrord's progress would mix with the command's own output: mirrord-up says one line instead.
    if (plan.type !== "local") env.MIRRORD_PROGRESS_MODE = "off";
    const traffic =
      plan.type === "local" ? "" : flags.steal ? ", taking its incoming traffic" : ", incoming traffic off";
    io.stderr.write(`mirrord-up: running ${plan.command.join(" ")} as ${service}${traffic}\n`);
    const result = await runInForeground({
      argv: sessionArgv(plan, mirrord, file, prepared.plan.key),
      env,
      cwd,
      runId,
      timeoutMs,
      watchdogRuns: watchdog.pid !== undefined,
      notice: (text) => io.stderr.write(`${text}\n`),
    });
    stoppedEverything = result.stoppedEverything;
    if (result.error) io.stderr.write(`mirrord-up: ${service}: ${result.error}\n`);
    return result.status;
  } finally {
    configDir.remove();
    process.off("exit", removeOnExit);
    if (stoppedEverything) watchdog.release();
    else await watchdog.abandon();
  }
}

/** A program named on the command line: looked up where it will run, on the PATH it will have. */
function checkProgram(program: string, pathVar: string | undefined, cwd: string): void {
  if (findExecutable(program, pathVar, cwd)) return;
  throw new UserError({
    message: `program "${program}" was not found${program.includes("/") ? ` (from ${cwd})` : " on PATH"}`,
  });
}
