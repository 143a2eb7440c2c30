/**
 * The default config file: its name, and where it is looked for when `-f` is not given (a module
 * of its own: the control commands need it without loading the config reader).
 *
 * As compose does, the search starts in one directory (the current one, or `--project-directory`)
 * and goes up through its parents to the filesystem root; the first `mirrord-up.yaml` found is
 * the file. One found in a parent must be trusted first: another user must not be able to plant
 * a file there that runs commands as you.
 */
import { lstatSync, type Stats, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { UserError } from "../core/errors.js";

export const DEFAULT_CONFIG_FILE = "mirrord-up.yaml";

/**
 * The absolute path of the nearest `mirrord-up.yaml` in `start` or a parent of it, or undefined
 * when there is none up to the root. Anything by that name ends the search (the reader then says
 * what is wrong with it); one in a parent must be yours or root's and writable by no one else.
 */
export function findConfigFile(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, DEFAULT_CONFIG_FILE);
    const link = lstatOrUndefined(candidate);
    if (link) {
      if (dir !== start) checkTrusted(candidate, link);
      return candidate;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Refuses a file found in a parent directory that someone other than you or root could have written. */
function checkTrusted(path: string, link: Stats): void {
  const uid = currentUid();
  const refuse = (why: string, hint: string) =>
    new UserError({
      file: path,
      message: `refusing this config file, found in a parent directory: ${why}`,
      hint: `another user could make it run commands as you: ${hint}`,
    });
  const notYours = (owner: number) => `by uid ${owner}, not by you (uid ${uid}) or root`;
  const ifTrusted = "if you trust it, name it with -f";
  // A link someone else made can point anywhere, even at a file of yours.
  if (link.isSymbolicLink() && link.uid !== uid && link.uid !== 0) {
    throw refuse(`it is a symbolic link owned ${notYours(link.uid)}`, ifTrusted);
  }
  let target: Stats;
  try {
    target = statSync(path);
  } catch {
    // A dangling link: the reader reports it as not found, by this path.
    return;
  }
  if (target.uid !== uid && target.uid !== 0) throw refuse(`it is owned ${notYours(target.uid)}`, ifTrusted);
  const mode = target.mode & 0o777;
  if ((mode & 0o022) !== 0) {
    const who = (mode & 0o002) !== 0 ? "every user" : "its group";
    throw refuse(
      `${who} can write to it (mode ${mode.toString(8).padStart(4, "0")})`,
      `make it yours alone with \`chmod go-w ${path}\`, or name it with -f if you trust it`,
    );
  }
}

function currentUid(): number {
  // process.getuid is missing only on Windows, where there are no such owners to compare.
  return process.getuid?.() ?? 0;
}
