/**
 * Rust's `regex` crate (the `rregex` package, WebAssembly), loaded on first use (~30 ms): the one
 * loader. Used for `ready_when.log` (matched by mirrord-up itself with the syntax mirrord's filters
 * use, minus fancy-regex's look-around), the sub-patterns of config/rust-regex.ts, and the
 * template's `matching` test.
 *
 * The module survives its own failure. A WebAssembly instance has at most 4 GiB of memory, which
 * never shrinks, and large patterns fragment it: after enough of them an allocation fails and the
 * instance traps (a `WebAssembly.RuntimeError`, "unreachable"), after which it cannot be trusted.
 * A trap is not a verdict on the pattern: the instance is dropped, a fresh one is loaded, and the
 * pattern is compiled again. A regex compiled before the trap moves to the fresh instance on its
 * next use.
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

/** What a WebAssembly trap throws (the project's TypeScript lib has no WebAssembly types). */
const WasmTrap = (globalThis as unknown as { WebAssembly: { RuntimeError: new () => Error } }).WebAssembly
  .RuntimeError;

/** The instance in use; undefined before the first use and after a trap. */
let RegexCrate: RustRegexConstructor | undefined;
let loads = 0;

/**
 * A fresh instance: the package's CommonJS entry instantiates its .wasm when it is evaluated, and
 * Node evaluates a module again once its `require.cache` entry is deleted. createRequire keeps
 * rregex out of the bundle.
 */
function loadInstance(): RustRegexConstructor {
  const require = createRequire(import.meta.url);
  delete require.cache[require.resolve("rregex")];
  loads += 1;
  return (require("rregex") as { RRegex: RustRegexConstructor }).RRegex;
}

/** How many instances have been loaded in this process (one, unless an instance trapped). */
export function regexEngineLoads(): number {
  return loads;
}

/**
 * Runs `use` with the current instance; on a trap, drops the instance and runs it once more on a
 * fresh one. A second trap in a row is an error of its own (not a verdict on the pattern).
 */
function withInstance<T>(use: (crate: RustRegexConstructor) => T): T {
  for (let attempt = 1; ; attempt++) {
    RegexCrate ??= loadInstance();
    try {
      return use(RegexCrate);
    } catch (error) {
      if (!(error instanceof WasmTrap)) throw error;
      RegexCrate = undefined;
      if (attempt === 2) throw new Error(`the regex engine failed twice in a row (${error.message})`);
    }
  }
}

/** A compiled regex, recompiled on the current instance when the one it lived in has trapped. */
class SurvivingRegex implements RustRegex {
  private crate: RustRegexConstructor;
  private compiled: RustRegex | undefined;
  private freed = false;

  constructor(private readonly pattern: string) {
    [this.crate, this.compiled] = withInstance((crate) => [crate, new crate(pattern)] as const);
  }

  isMatch(text: string): boolean {
    return this.use((compiled) => compiled.isMatch(text));
  }

  find(text: string): RustMatch | undefined {
    return this.use((compiled) => compiled.find(text));
  }

  captures(text: string): ReturnType<RustRegex["captures"]> {
    return this.use((compiled) => compiled.captures(text));
  }

  /** Runs `query` on the compiled regex of the current instance (compiling it there first if needed). */
  private use<T>(query: (compiled: RustRegex) => T): T {
    if (this.freed) throw new Error("internal error: a freed regex was used");
    return withInstance((crate) => {
      if (crate !== this.crate || !this.compiled) {
        this.compiled = new crate(this.pattern);
        this.crate = crate;
      }
      return query(this.compiled);
    });
  }

  /** Frees the compiled regex at once, not when the garbage collector gets to it. */
  free(): void {
    const compiled = this.compiled;
    this.compiled = undefined;
    this.freed = true;
    if (compiled === undefined) return;
    try {
      compiled.free();
    } catch (error) {
      // An instance that trapped goes away with its memory; nothing is left to free in it.
      if (!(error instanceof WasmTrap)) throw error;
    }
  }
}

/** Compiles `pattern`; throws the crate's own error (regex-syntax's multi-line text) when it does not compile. */
export function newRustRegex(pattern: string): RustRegex {
  return new SurvivingRegex(pattern);
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
