/**
 * Why a service may have died at once: a relative path it names was not found where it ran.
 * Services run in the project directory (the config file's) while people write paths from where
 * they stand, so such a death gets a hint that names the directory it ran in, and, when a word of
 * its command names something that exists relative to mirrord-up's own directory instead, says
 * how to run it there.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";

/** How soon after it started (a mirrord session: after its `Ready!`) an end counts as "at once". */
export const AT_ONCE_MS = 5000;

/** The error texts of a path not found: errno's, Node's, Python's, the JVM's. */
const NOT_FOUND =
  /\bENOENT\b|no such file or directory|cannot find module|can't open file|FileNotFound(Error|Exception)|unable to access jarfile/i;

/**
 * The hint for a service that ended at once with `code` after writing `output` (its last bytes),
 * or undefined when nothing says that a path was not found: neither exit status 127 (a shell's
 * "not found") nor such an error in its output.
 */
export function missingPathHint(
  code: number,
  output: string,
  command: readonly string[],
  ranIn: string,
  invokedIn: string,
): string | undefined {
  if (code !== 127 && !NOT_FOUND.test(output)) return undefined;
  const [word] = foundOnlyFrom(command, ranIn, invokedIn);
  if (word === undefined) return `a path was not found? it ran in ${ranIn}, where its relative paths start`;
  return `it ran in ${ranIn}; ${foundHereHint(word, invokedIn)}`;
}

/** What to do when `word` names something relative to the current directory, not where it ran. */
export function foundHereHint(word: string, invokedIn: string): string {
  return `\`${word}\` exists relative to the current directory (${invokedIn}), not there: set \`run.working_dir\`, or run mirrord-up with \`--project-directory .\``;
}

/**
 * The relative paths among the words of `command` (a word may be a shell script: its words, and
 * the value of `--opt=value`, count too) that name nothing in `ranIn` but something in `invokedIn`.
 */
export function foundOnlyFrom(command: readonly string[], ranIn: string, invokedIn: string): string[] {
  if (resolve(ranIn) === resolve(invokedIn)) return [];
  const words = command.flatMap((w) => w.split(/\s+/)).map((w) => w.replace(/^-[^=]*=/, ""));
  return words.filter(
    (w) =>
      w !== "" &&
      !w.startsWith("-") &&
      !isAbsolute(w) &&
      w !== "." &&
      w !== ".." &&
      !existsSync(resolve(ranIn, w)) &&
      existsSync(resolve(invokedIn, w)),
  );
}
