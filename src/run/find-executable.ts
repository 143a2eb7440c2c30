/** Finds programs the way execvp will, so a missing binary is reported before anything starts. */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";

/** The absolute path `program` resolves to with this PATH, or undefined. */
export function findExecutable(
  program: string,
  pathVar: string | undefined,
  cwd: string,
): string | undefined {
  if (program.includes("/")) {
    const full = isAbsolute(program) ? program : resolve(cwd, program);
    return isExecutableFile(full) ? full : undefined;
  }
  for (const dir of (pathVar ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(isAbsolute(dir) ? dir : resolve(cwd, dir), program);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
