/**
 * The steps every command shares: resolve the key, load the file, build the plan, and turn
 * plan problems into located diagnostics.
 */

import { dirname } from "node:path";
import { type LoadedConfig, loadConfig, loadConfigOffThread } from "../config/load.js";
import { type Diagnostic, UserError } from "../core/errors.js";
import { buildRunPlan, type Mode, type RunPlan } from "../plan/assemble.js";
import { selectWithDependencies } from "../plan/dependencies.js";
import { keyKind, resolveKey } from "../plan/key.js";
import { resolveLifecycleFiles } from "../plan/lifecycle-files.js";
import { PlanError } from "../plan/problems.js";
import type { CliIO } from "./io.js";

export interface ConfigFlags {
  configFile: string;
  /** `--project-directory`, absolute; default: the config file's directory. */
  projectDirectory?: string;
  key?: string;
  mode?: Mode;
  context?: string;
}

/** A loaded file and the plan built from it. */
export interface Prepared {
  loaded: LoadedConfig;
  plan: RunPlan;
  /** Where services run unless `run.working_dir` says otherwise, and where relative paths start. */
  projectDir: string;
}

/**
 * Resolves the key (it is a template variable), loads the file, and builds the plan. With
 * `files: false` the working directories and env files are left to the caller
 * (`resolveLifecycleFiles`), which `doctor` reports as checks among the others.
 */
export function prepare(
  flags: ConfigFlags,
  services: readonly string[],
  io: CliIO,
  { files = true } = {},
): Prepared {
  const { key, source, loaded } = loadWithKey(flags, io);
  return planned(loaded, flags, key, source, services, io, files);
}

/** Every service of the file, in its order (`config --services`); nothing is planned. */
export function serviceNames(flags: ConfigFlags, io: CliIO): string[] {
  return Object.keys(loadWithKey(flags, io).loaded.config.services);
}

function loadWithKey(flags: ConfigFlags, io: CliIO) {
  const { key, source } = planStep(() => resolveKey(flags.key, io.env, io.username));
  const loaded = loadConfig({ file: flags.configFile, cwd: io.cwd, key, env: io.env });
  return { key, source, loaded };
}

/** `prepare` for a running `up` (reload, --watch): the template renders off the main thread. */
export async function prepareOffThread(
  flags: ConfigFlags,
  services: readonly string[],
  io: CliIO,
): Promise<Prepared> {
  const { key, source } = planStep(() => resolveKey(flags.key, io.env, io.username));
  const loaded = await loadConfigOffThread({ file: flags.configFile, cwd: io.cwd, key, env: io.env });
  return planned(loaded, flags, key, source, services, io);
}

function planned(
  loaded: LoadedConfig,
  flags: ConfigFlags,
  key: string,
  source: ReturnType<typeof resolveKey>["source"],
  services: readonly string[],
  io: CliIO,
  files = true,
): Prepared {
  // depends_on is checked first; the selection then also runs what it depends on.
  const selected = planStep(() => selectWithDependencies(loaded.config, services), loaded);
  const plan = planStep(
    () =>
      buildRunPlan(loaded.config, {
        key,
        keyKind: keyKind(source),
        services: selected,
        mode: flags.mode,
        context: flags.context,
      }),
    loaded,
  );
  const projectDir = flags.projectDirectory ?? dirname(loaded.absolutePath);
  if (files) resolveLifecycleFiles(plan.sessions, loaded, projectDir, io);
  return { loaded, plan, projectDir };
}

/** Runs a plan step, turning `PlanError` into located `UserError` diagnostics. */
function planStep<T>(step: () => T, loaded?: LoadedConfig): T {
  try {
    return step();
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    throw toUserError(error, loaded);
  }
}

/** Plan problems carry config paths; the loaded file turns them into file:line:col. */
export function toUserError(error: PlanError, loaded?: LoadedConfig): UserError {
  const diagnostics: Diagnostic[] = error.problems.map((p) => ({
    ...(p.path && loaded
      ? loaded.locate(p.path, { key: p.path.length === 2 && p.path[0] === "services" })
      : {}),
    message: p.message,
    hint: p.hint,
  }));
  return new UserError(diagnostics);
}
