/**
 * The files a lifecycle names, checked before anything starts: `run.working_dir` must be a
 * directory and `env_file` a readable dotenv file, both relative to the project directory (the
 * config file's, unless `--project-directory`). Each problem is located at the line that names
 * the path (or, for a broken env file, at its own line and column). On success the plan holds
 * absolute paths, the env file's variables, and (for mirrord sessions) `feature.env.env_file`,
 * which mirrord reads itself: every path handed to mirrord is absolute, so that its meaning does
 * not depend on the directory mirrord runs in.
 *
 * The plan's I/O, kept in this one module so that the rest of plan/ stays pure.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { parseEnvFile } from "../config/env-file.js";
import type { LoadedConfig } from "../config/load.js";
import { type Diagnostic, UserError } from "../core/errors.js";
import { FileReadError, readRegularFile, shownPath } from "../core/files.js";
import type { SessionPlan } from "./assemble.js";

/** An env file bigger than this is a mistake (the limit of the config file itself). */
const MAX_ENV_FILE_BYTES = 1024 * 1024;

export function resolveLifecycleFiles(
  sessions: readonly SessionPlan[],
  loaded: LoadedConfig,
  base: string,
  io: { cwd: string; env: NodeJS.ProcessEnv },
): void {
  const problems: Diagnostic[] = [];
  const envFiles = new Map<string, Record<string, string> | undefined>();
  const reported = new Set<string>();
  const report = (diagnostic: Diagnostic) => {
    const key = `${diagnostic.file}:${diagnostic.line}:${diagnostic.col}:${diagnostic.message}`;
    if (reported.has(key)) return;
    reported.add(key);
    problems.push(diagnostic);
  };
  for (const session of sessions) {
    const lifecycle = session.lifecycle;
    const dir = lifecycle.workingDir;
    if (dir) {
      const absolute = resolve(base, dir.path);
      const problem = directoryProblem(absolute);
      if (problem) {
        report({
          ...loaded.locate(dir.from),
          message: `${dotted(dir.from)}: ${problem} (${shownPath(absolute, io.cwd)})`,
        });
      }
      dir.path = absolute;
    }
    // `env.env_file`, passed to mirrord as it is: not read here, but made absolute.
    const feature = session.mirrordConfig?.feature;
    if (typeof feature?.env?.env_file === "string") {
      feature.env = { ...feature.env, env_file: resolve(base, feature.env.env_file) };
    }
    const envFile = lifecycle.envFile;
    if (envFile) {
      const absolute = resolve(base, envFile.path);
      envFile.path = absolute;
      if (!envFiles.has(absolute)) {
        const where = () => loaded.locate(envFile.from);
        envFiles.set(absolute, readEnvFile(absolute, io, report, where, envFile.from));
      }
      const vars = envFiles.get(absolute);
      if (vars) envFile.vars = vars;
      if (session.mirrordConfig) {
        // mirrord reads the file itself (dotenvy), relative paths against its own working directory:
        // hand it the absolute path.
        const { env, ...rest } = session.mirrordConfig.feature;
        session.mirrordConfig.feature = { env: { ...(env ?? {}), env_file: absolute }, ...rest };
      }
    }
  }
  if (problems.length > 0) throw new UserError(problems);
}

function directoryProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isDirectory()) return "the working directory is not a directory";
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return "the working directory does not exist";
    return `the working directory cannot be used: ${code}`;
  }
}

function readEnvFile(
  path: string,
  io: { cwd: string; env: NodeJS.ProcessEnv },
  report: (d: Diagnostic) => void,
  where: () => ReturnType<LoadedConfig["locate"]>,
  from: readonly PropertyKey[],
): Record<string, string> | undefined {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(path, MAX_ENV_FILE_BYTES);
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    const why =
      error.reason === "missing"
        ? "the env file does not exist"
        : error.reason === "too-large"
          ? `the env file is too large (${error.message}); env files are limited to 1 MiB`
          : `the env file cannot be read: ${error.message}`;
    report({ ...where(), message: `${dotted(from)}: ${why} (${shownPath(path, io.cwd)})` });
    return undefined;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    report({
      ...where(),
      message: `${dotted(from)}: the env file is not UTF-8 text (${shownPath(path, io.cwd)})`,
    });
    return undefined;
  }
  const parsed = parseEnvFile(text, io.env);
  if (parsed.problems.length === 0) return parsed.vars;
  for (const problem of parsed.problems) {
    // No source line under the message: the file's lines are its secrets (see env-file.ts).
    report({
      file: shownPath(path, io.cwd),
      line: problem.line,
      col: problem.col,
      message: problem.message,
      hint: "env files are KEY=VALUE lines, as mirrord reads them (dotenv)",
    });
  }
  return undefined;
}

function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}
