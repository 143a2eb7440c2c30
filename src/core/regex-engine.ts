/**
 * Rust's `regex` crate (the `rregex` package, WebAssembly), loaded on first use (~30 ms): the one
 * loader. Used for `ready_when.log` (matched by mirrord-up itself with the syntax mirrord's filters
 * use, minus fancy-regex's look-around), the sub-patterns of config/rust-regex.ts, and the
 * template's `matching` test.
 */
import { createRequire } from "node:module";

export interface RustRegex {
  isMatch(text: string): boolean;
  /** The leftmost-first match; offsets in UTF-8 bytes. */
  find(text: string): RustMatch | undefined;
  /** As `find`, with the spans of groups: `get[0]` the whole match, `get` then skips groups that did not take part, `name` has the named ones that did. */
  captures(text: string): { get: RustMatch[]; name: Record<string, RustMatch> } | undefined;
  free(): void;
}

/** A match span in UTF-8 bytes of the searched text. */
interface RustMatch {
  start: number;
  end: number;
}

type RustRegexConstructor = new (pattern: string) => RustRegex;

let RegexCrate: RustRegexConstructor | undefined;

/** Compiles `pattern`; throws the crate's own error (regex-syntax's multi-line text) when it does not compile. */
export function newRustRegex(pattern: string): RustRegex {
  // createRequire keeps rregex out of the bundle (its CommonJS build loads its .wasm synchronously).
  RegexCrate ??= (createRequire(import.meta.url)("rregex") as { RRegex: RustRegexConstructor }).RRegex;
  return new RegexCrate(pattern);
}

/** Compiles `pattern`; throws an Error whose message says in one line what is wrong. */
export function compileRustRegex(pattern: string): RustRegex {
  try {
    return newRustRegex(pattern);
  } catch (error) {
    throw new Error(describeRegexError(error instanceof Error ? error.message : String(error)));
  }
}

/** Why `pattern` does not compile as a plain Rust regex, or undefined when it does. */
export function plainRustRegexProblem(pattern: string): string | undefined {
  try {
    compileRustRegex(pattern).free();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** regex-syntax's "regex parse error:\n  <pattern>\n  <carets>\nerror: <what>" -> "<what>: <part>". */
function describeRegexError(message: string): string {
  const lines = message.split("\n");
  const what = (lines.at(-1) ?? message).replace(/^error: /, "").replace(/\.$/, "");
  if (lines.length >= 4 && lines[0]?.trim() === "regex parse error:") {
    const text = lines[1] as string;
    const carets = lines[2] as string;
    const from = carets.indexOf("^");
    const to = carets.lastIndexOf("^");
    if (from >= 0) return `${what}: ${text.slice(from, to + 1).trim()}`;
  }
  return what;
}
