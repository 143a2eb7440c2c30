/**
 * Regexes checked exactly as mirrord compiles them. mirrord (3.250.0) uses fancy-regex 0.14, which
 * parses the whole pattern with its own parser (look-around, backreferences, atomic groups,
 * possessive quantifiers, conditionals, `\k<name>`, `(?#...)`), then hands every part without
 * such features to Rust's `regex` crate as a re-written sub-pattern. This module follows the same
 * two steps: the rules of fancy-regex's `parse.rs`, `analyze.rs` and `compile.rs` (which parts
 * become sub-patterns, and how they are written) are re-implemented (core/fancy-syntax.ts, and the
 * compiler's walk here), and each sub-pattern is
 * compiled by the real Rust `regex` crate (the `rregex` package: regex 1.13 / regex-syntax 0.8.11
 * in WebAssembly, the same regex-syntax mirrord builds with).
 *
 * The answers are checked against the real fancy-regex 0.14.0 in test/fixtures/regex/.
 *
 * Positions are counted in characters (code points) here, where fancy-regex counts bytes; a
 * message gives the 1-based character of the pattern.
 */
import {
  Analyzer,
  FancyError,
  type Info,
  isLiteral,
  type LookKind,
  Parser,
  splitConcat,
  toRegexString,
} from "../core/fancy-syntax.js";
import { plainRustRegexProblem } from "../core/regex-engine.js";

/** A header or path filter (`header_filter`, `path_filter`, `all_of`/`any_of` entries). */
export function checkRustRegex(pattern: string): string | undefined {
  return checkFilterRegex(pattern);
}

/**
 * A header or path filter must compile twice: as written (the mirrord layer validates the config
 * with `fancy_regex::Regex::new(pattern)`) and with `(?i)` in front (the agent compiles
 * `format!("(?i){pattern}")`). The two can differ: `{2}` is a literal as written, but after
 * `(?i)` it is a repetition of nothing. Returns why it does not compile, or undefined.
 */
export function checkFilterRegex(pattern: string): string | undefined {
  const plain = verdictOf(pattern, "").problem;
  if (plain) return plain;
  const agent = verdictOf(pattern, AGENT_PREFIX).problem;
  if (agent) return `${agent} (as mirrord's agent compiles it, with "(?i)" in front)`;
  return undefined;
}

/** A regex compiled as written (a body filter's `matches`, `env.mapping` keys). */
export function checkFancyRegex(pattern: string): string | undefined {
  return verdictOf(pattern, "").problem;
}

/**
 * For a filter that compiles here: a warning when mirrord may still reject it as too large (see
 * `SIZE_WARNING`), else undefined.
 */
export function filterRegexSizeWarning(pattern: string): string | undefined {
  return verdictOf(pattern, "").tooLarge || verdictOf(pattern, AGENT_PREFIX).tooLarge
    ? SIZE_WARNING
    : undefined;
}

/** The same for a regex compiled as written. */
export function fancyRegexSizeWarning(pattern: string): string | undefined {
  return verdictOf(pattern, "").tooLarge ? SIZE_WARNING : undefined;
}

const AGENT_PREFIX = "(?i)";

const SIZE_WARNING =
  "mirrord may reject this pattern as too large: its compiled size is near the regex crate's 10 MiB limit, " +
  "which mirrord-up cannot check exactly (a counted repetition such as \\w{200} is the usual cause; \\w+ is small)";

/** Why `prefix + pattern` does not compile; or, when it does, whether mirrord may reject it as too large. */
interface Verdict {
  problem?: string;
  tooLarge: boolean;
}

/**
 * Verdicts by pattern: validation asks first, the plan asks again for the size warning, and
 * `--watch` and `reload` ask again for the same file. Large patterns take up to a second or two.
 */
const verdicts = new Map<string, Verdict>();
const VERDICTS_KEPT = 256;

function verdictOf(pattern: string, prefix: string): Verdict {
  const key = `${prefix}\0${pattern}`;
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict = fancyRegexVerdict(pattern, prefix);
    if (verdicts.size >= VERDICTS_KEPT) verdicts.clear();
    verdicts.set(key, verdict);
  }
  return verdict;
}

/** Checks `prefix + pattern`; positions in messages are relative to `pattern`. */
function fancyRegexVerdict(pattern: string, prefix: string): Verdict {
  const chars = Array.from(prefix + pattern);
  const offset = Array.from(prefix).length;
  const verdict: Verdict = { tooLarge: false };
  try {
    const parser = new Parser(chars);
    const root = parser.parse();
    // fancy-regex wraps the pattern as `.*?(pattern)`: the pattern is capture group 0.
    const info = new Analyzer(1).visit(root);
    if (!info.hard) compileDelegate(toRegexString(root, 0), verdict);
    else new Compiler(verdict).visit(info, true);
    return verdict;
  } catch (error) {
    if (error instanceof FancyError) {
      return {
        tooLarge: false,
        problem:
          error.position === undefined
            ? error.message
            : `${error.message} at character ${Math.max(error.position - offset, 0) + 1}`,
      };
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Compilation (fancy-regex's `compile.rs`): which sub-patterns go to the regex crate

/**
 * Walks the analysed tree the way fancy-regex's compiler does, compiling every part it would hand
 * to the regex crate; literal runs and fancy-only nodes need no check.
 */
class Compiler {
  constructor(private readonly verdict: Verdict) {}

  visit(info: Info, hard: boolean): void {
    if (!hard && !info.hard) {
      this.delegate([info]);
      return;
    }
    const expr = info.expr;
    switch (expr.t) {
      case "literal":
        if (expr.casei) this.delegate([info]);
        break;
      case "delegate":
        this.delegate([info]);
        break;
      case "concat":
        this.concat(info, hard);
        break;
      case "alt":
      case "group":
      case "conditional":
        for (const child of info.children) this.visit(child, hard);
        break;
      case "repeat":
        // `e?` keeps the incoming difficulty; other repetitions add their own.
        this.visit(info.children[0] as Info, expr.lo === 0n && expr.hi === 1n ? hard : hard || info.hard);
        break;
      case "look":
        this.lookAround(info, expr.kind);
        break;
      case "atomic":
        this.visit(info.children[0] as Info, false);
        break;
      default:
        // Empty, `.`, assertions, backreferences, `\K`, `\G`: fancy-regex's own instructions.
        break;
    }
  }

  /** A constant-size, easy prefix and suffix go to the regex crate whole; the middle is walked. */
  private concat(info: Info, hard: boolean): void {
    const children = info.children;
    const [prefixEnd, suffixBegin] = splitConcat(children, hard);
    this.delegate(children.slice(0, prefixEnd));
    for (const child of children.slice(prefixEnd, suffixBegin)) this.visit(child, true);
    this.delegate(children.slice(suffixBegin));
  }

  private lookAround(info: Info, kind: LookKind): void {
    const inner = info.children[0] as Info;
    const behind = kind === "behind" || kind === "behindNeg";
    // `(?<=a|bb)` is compiled as `(?<=a)|(?<=bb)`: each alternative must have a fixed length.
    const parts = behind && !inner.constSize && inner.expr.t === "alt" ? inner.children : [inner];
    for (const part of parts) {
      if (behind && !part.constSize) {
        throw new FancyError("a look-behind must match a fixed length, e.g. (?<=ab), not (?<=a+)");
      }
      this.visit(part, false);
    }
  }

  private delegate(infos: Info[]): void {
    if (infos.length === 0 || infos.every(isLiteral)) return;
    compileDelegate(infos.map((info) => toRegexString(info.expr, 1)).join(""), this.verdict);
  }
}

// ---------------------------------------------------------------------------------------------
// The regex crate (rregex, loaded on first use by core/regex-engine.ts)

/**
 * Compiles one sub-pattern as fancy-regex hands it to the regex crate, which refuses a program
 * over 10 MiB. It counts the bytes of its NFA's states, and a state takes 32 bytes on mirrord's
 * 64-bit machines but 16 in rregex's 32-bit WebAssembly; the states' own lists (transitions,
 * alternatives) are the same size on both. So mirrord's size is between rregex's and twice it:
 * - rregex refuses the pattern: mirrord does too (an error, as rregex words it);
 * - rregex accepts the pattern twice over, `(?:P\n){2}` (twice P's states and lists, minus the
 *   wrapping states it does not repeat, which P's lists outweigh): mirrord's size, under twice
 *   rregex's, fits too;
 * - else mirrord may or may not refuse it (`tooLarge`, a warning).
 * The newline ends a `#` comment of `(?x)` mode, and is ignored in that mode.
 */
function compileDelegate(pattern: string, verdict: Verdict): void {
  const problem = plainRustRegexProblem(pattern);
  if (problem !== undefined) throw new FancyError(problem);
  if (verdict.tooLarge) return;
  // Any refusal of the doubled pattern leaves the size unproven (one more level of nesting can
  // pass regex-syntax's nest limit): a warning rather than a silent accept.
  verdict.tooLarge = plainRustRegexProblem(`(?:${pattern}\n){2}`) !== undefined;
}
