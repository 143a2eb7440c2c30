/**
 * Regexes checked exactly as mirrord compiles them. mirrord (3.250.0) uses fancy-regex 0.14, which
 * parses the whole pattern with its own parser (look-around, backreferences, atomic groups,
 * possessive quantifiers, conditionals, `\k<name>`, `(?#...)`), then hands every part without
 * such features to Rust's `regex` crate as a re-written sub-pattern. This module follows the same
 * two steps: the rules of fancy-regex's `parse.rs`, `analyze.rs` and `compile.rs` (which parts
 * become sub-patterns, and how they are written) are re-implemented here, and each sub-pattern is
 * compiled by the real Rust `regex` crate (the `rregex` package: regex 1.13 / regex-syntax 0.8.11
 * in WebAssembly, the same regex-syntax mirrord builds with).
 *
 * The answers are checked against the real fancy-regex 0.14.0 in test/fixtures/regex/.
 *
 * Positions are counted in characters (code points) here, where fancy-regex counts bytes; a
 * message gives the 1-based character of the pattern.
 */
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

/** A fancy-regex parse or compile error; `position` in code points of the parsed string. */
class FancyError extends Error {
  constructor(
    message: string,
    readonly position?: number,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// The expression tree (fancy-regex's `Expr`)

type AssertionKind =
  | "startText"
  | "endText"
  | "startLine"
  | "endLine"
  | "wordBoundary"
  | "notWordBoundary"
  | "leftWordBoundary"
  | "rightWordBoundary";

type LookKind = "ahead" | "aheadNeg" | "behind" | "behindNeg";

type Expr =
  | { t: "empty" }
  | { t: "any"; newline: boolean }
  | { t: "literal"; value: string; casei: boolean }
  | { t: "assertion"; kind: AssertionKind }
  | { t: "concat"; children: Expr[] }
  | { t: "alt"; children: Expr[] }
  | { t: "group"; child: Expr }
  | { t: "look"; child: Expr; kind: LookKind }
  | { t: "repeat"; child: Expr; lo: bigint; hi: bigint; greedy: boolean }
  /** A one-character piece handed to the regex crate as written: a class, `\d`, `\p{..}`. */
  | { t: "delegate"; inner: string; casei: boolean }
  | { t: "backref"; group: number }
  | { t: "atomic"; child: Expr }
  | { t: "keepOut" }
  | { t: "continue" }
  | { t: "backrefExists"; group: number }
  | { t: "conditional"; condition: Expr; yes: Expr; no: Expr };

const EMPTY: Expr = { t: "empty" };
/** Rust's `usize::MAX`, which fancy-regex uses for "no upper bound". */
const USIZE_MAX = 2n ** 64n - 1n;
/** fancy-regex's `MAX_RECURSION`: groups nested this deep are refused. */
const MAX_DEPTH = 64;

const FLAG_CASEI = 1;
const FLAG_MULTI = 1 << 1;
const FLAG_DOTNL = 1 << 2;
const FLAG_SWAP_GREED = 1 << 3;
const FLAG_IGNORE_SPACE = 1 << 4;
const FLAG_UNICODE = 1 << 5;

const DIGIT = /^[0-9]$/;
const HEX_DIGIT = /^[0-9A-Fa-f]$/;
const ASCII_LETTER = /^[A-Za-z]$/;
/** Rust's `char::is_alphanumeric() || c == '_'`. */
const ID_CHAR = /^[\p{Alphabetic}\p{Nd}\p{Nl}\p{No}_]$/u;

// ---------------------------------------------------------------------------------------------
// The parser (fancy-regex's `parse.rs` rules)

class Parser {
  private flags = FLAG_UNICODE;
  private readonly namedGroups = new Map<string, number>();
  private numericBackrefs = false;
  private currentGroup = 0;
  /** The pattern's length in UTF-8 bytes: fancy-regex bounds numbered backreferences by it. */
  private readonly byteLength: number;

  constructor(private readonly re: string[]) {
    this.byteLength = Buffer.byteLength(re.join(""), "utf8");
  }

  parse(): Expr {
    const [ix, expr] = this.parseRe(0, 0);
    if (ix < this.re.length) throw new FancyError(`unexpected "${this.re[ix]}"`, ix);
    return expr;
  }

  private flag(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  private startsWith(ix: number, text: string): boolean {
    for (let i = 0; i < text.length; i++) if (this.re[ix + i] !== text[i]) return false;
    return true;
  }

  private parseRe(ix: number, depth: number): [number, Expr] {
    const [afterBranch, child] = this.parseBranch(ix, depth);
    let i = this.optionalWhitespace(afterBranch);
    if (this.re[i] === "|") {
      const children = [child];
      while (this.re[i] === "|") {
        const [next, branch] = this.parseBranch(i + 1, depth);
        children.push(branch);
        i = this.optionalWhitespace(next);
      }
      return [i, { t: "alt", children }];
    }
    if (this.numericBackrefs && this.namedGroups.size > 0) {
      throw new FancyError("numbered backreferences cannot be used once a group has a name; use \\k<name>");
    }
    return [i, child];
  }

  private parseBranch(ix: number, depth: number): [number, Expr] {
    const children: Expr[] = [];
    let i = ix;
    while (i < this.re.length) {
      const [next, child] = this.parsePiece(i, depth);
      if (next === i) break;
      if (child.t !== "empty") children.push(child);
      i = next;
    }
    if (children.length === 0) return [i, EMPTY];
    if (children.length === 1) return [i, children[0] as Expr];
    return [i, { t: "concat", children }];
  }

  private parsePiece(ix: number, depth: number): [number, Expr] {
    const [afterAtom, child] = this.parseAtom(ix, depth);
    let i = this.optionalWhitespace(afterAtom);
    if (i >= this.re.length) return [i, child];
    let lo: bigint;
    let hi: bigint;
    const c = this.re[i];
    if (c === "?") [lo, hi] = [0n, 1n];
    else if (c === "*") [lo, hi] = [0n, USIZE_MAX];
    else if (c === "+") [lo, hi] = [1n, USIZE_MAX];
    else if (c === "{") {
      const repeat = this.parseRepeat(i);
      // Not a valid `{n,m}`: the `{` is a literal, read by the next piece.
      if (repeat === undefined) return [i, child];
      [i, lo, hi] = [repeat[0] - 1, repeat[1], repeat[2]];
    } else return [i, child];
    if (child.t === "look" || child.t === "empty" || child.t === "assertion") {
      throw new FancyError("nothing to repeat (a repetition after nothing, an anchor or a look-around)", i);
    }
    i = this.optionalWhitespace(i + 1);
    let greedy = true;
    if (this.re[i] === "?") {
      greedy = false;
      i += 1;
    }
    if (this.flag(FLAG_SWAP_GREED)) greedy = !greedy;
    let node: Expr = { t: "repeat", child, lo, hi, greedy };
    if (this.re[i] === "+") {
      i += 1;
      node = { t: "atomic", child: node };
    }
    return [i, node];
  }

  /** `{n}`, `{n,}`, `{n,m}`, `{,m}`: [index after `}`, lo, hi], or undefined if not one. */
  private parseRepeat(ix: number): [number, bigint, bigint] | undefined {
    try {
      let i = this.optionalWhitespace(ix + 1);
      if (i === this.re.length) return undefined;
      let end = i;
      let lo: bigint;
      if (this.re[i] === ",") lo = 0n;
      else {
        const decimal = this.parseDecimal(i);
        if (!decimal) return undefined;
        [end, lo] = decimal;
      }
      i = this.optionalWhitespace(end);
      if (i === this.re.length) return undefined;
      end = i;
      let hi: bigint;
      if (this.re[i] === "}") hi = lo;
      else if (this.re[i] === ",") {
        end = this.optionalWhitespace(i + 1);
        const decimal = this.parseDecimal(end);
        if (decimal) [end, hi] = decimal;
        else hi = USIZE_MAX;
      } else return undefined;
      i = this.optionalWhitespace(end);
      if (i === this.re.length || this.re[i] !== "}") return undefined;
      return [i + 1, lo, hi];
    } catch (error) {
      if (error instanceof FancyError) return undefined;
      throw error;
    }
  }

  /** ASCII digits at `ix` as a `usize`: undefined when there are none or it overflows. */
  private parseDecimal(ix: number): [number, bigint] | undefined {
    let end = ix;
    while (end < this.re.length && DIGIT.test(this.re[end] as string)) end += 1;
    if (end === ix) return undefined;
    const value = BigInt(this.re.slice(ix, end).join(""));
    return value > USIZE_MAX ? undefined : [end, value];
  }

  private parseAtom(ix: number, depth: number): [number, Expr] {
    const i = this.optionalWhitespace(ix);
    if (i === this.re.length) return [i, EMPTY];
    const c = this.re[i] as string;
    switch (c) {
      case ".":
        return [i + 1, { t: "any", newline: this.flag(FLAG_DOTNL) }];
      case "^":
        return [i + 1, { t: "assertion", kind: this.flag(FLAG_MULTI) ? "startLine" : "startText" }];
      case "$":
        return [i + 1, { t: "assertion", kind: this.flag(FLAG_MULTI) ? "endLine" : "endText" }];
      case "(":
        return this.parseGroup(i, depth);
      case "\\":
        return this.parseEscape(i, false);
      case "+":
      case "*":
      case "?":
      case "|":
      case ")":
        return [i, EMPTY];
      case "[":
        return this.parseClass(i);
      default:
        return [i + 1, { t: "literal", value: c, casei: this.flag(FLAG_CASEI) }];
    }
  }

  private parseNamedBackref(ix: number, open: string, close: string, allowRelative: boolean): [number, Expr] {
    const parsed = this.parseId(ix, open, close, allowRelative);
    if (!parsed) throw new FancyError("cannot read the group name", ix);
    const [id, skip] = parsed;
    let group = this.namedGroups.get(id);
    if (group === undefined && /^-?[0-9]+$/.test(id)) {
      const n = BigInt(id);
      // Rust's `isize` parse, then a negative number counts back from the current group.
      if (n >= -(2n ** 63n) && n < 2n ** 63n) {
        if (n >= 0n) group = Number(n);
        else if (BigInt(this.currentGroup) + n + 1n >= 0n) group = this.currentGroup + Number(n) + 1;
      }
    }
    if (group === undefined) throw new FancyError(`backreference to an unknown group "${id}"`, ix);
    return [ix + skip, { t: "backref", group }];
  }

  private parseNumberedBackref(ix: number): [number, Expr] {
    const decimal = this.parseDecimal(ix);
    if (decimal && decimal[1] < BigInt(Math.floor(this.byteLength / 2))) {
      this.numericBackrefs = true;
      return [decimal[0], { t: "backref", group: Number(decimal[1]) }];
    }
    throw new FancyError("invalid backreference", ix);
  }

  /** `ix` is at the backslash. */
  private parseEscape(ix: number, inClass: boolean): [number, Expr] {
    const b = this.re[ix + 1];
    if (b === undefined) throw new FancyError("the pattern ends with a lone backslash", ix);
    const end = ix + 2;
    const casei = this.flag(FLAG_CASEI);
    if (DIGIT.test(b)) return this.parseNumberedBackref(ix + 1);
    if (!inClass) {
      switch (b) {
        case "k":
          return this.re[end] === "'"
            ? this.parseNamedBackref(end, "'", "'", true)
            : this.parseNamedBackref(end, "<", ">", true);
        case "A":
          return [end, { t: "assertion", kind: "startText" }];
        case "z":
          return [end, { t: "assertion", kind: "endText" }];
        case "b":
        case "B":
          // fancy-regex does not implement `\b{start}` and friends.
          if (this.re[end] === "{") throw new FancyError(`unknown escape \\${b}{`, ix);
          return [end, { t: "assertion", kind: b === "b" ? "wordBoundary" : "notWordBoundary" }];
        case "<":
          return [end, { t: "assertion", kind: "leftWordBoundary" }];
        case ">":
          return [end, { t: "assertion", kind: "rightWordBoundary" }];
      }
    }
    if ("dDsSwW".includes(b)) return [end, { t: "delegate", inner: `\\${b}`, casei }];
    if (b === "h" || b === "H") {
      return [end, { t: "delegate", inner: b === "h" ? "[0-9A-Fa-f]" : "[^0-9A-Fa-f]", casei: false }];
    }
    if (b === "x") return this.parseHex(end, 2);
    if (b === "u") return this.parseHex(end, 4);
    if (b === "U") return this.parseHex(end, 8);
    if ((b === "p" || b === "P") && end !== this.re.length) {
      let e = end + 1;
      if (this.re[end] === "{") {
        for (;;) {
          if (e === this.re.length) throw new FancyError(`\\${b}{ is never closed`, ix);
          if (this.re[e] === "}") {
            e += 1;
            break;
          }
          e += 1;
        }
      }
      return [e, { t: "delegate", inner: this.re.slice(ix, e).join(""), casei }];
    }
    if (!inClass && b === "K") return [end, { t: "keepOut" }];
    if (!inClass && b === "G") return [end, { t: "continue" }];
    const named = SIMPLE_ESCAPES[b];
    if (named !== undefined) return [end, { t: "literal", value: named, casei: false }];
    if (ASCII_LETTER.test(b) && !"kAzbBKG".includes(b)) {
      throw new FancyError(`unknown escape \\${b}`, ix);
    }
    // Any other escaped character stands for itself (`\.`, `\ `, and in a class `\k`, `\B`...).
    return [end, { t: "literal", value: b, casei: false }];
  }

  /** `ix` is after `\x`, `\u` or `\U`: a fixed number of hex digits, or up to 8 in braces. */
  private parseHex(ix: number, digits: number): [number, Expr] {
    if (ix >= this.re.length) throw new FancyError("invalid hex escape", ix);
    let end: number;
    let hex: string;
    const fixed = this.re.slice(ix, ix + digits);
    if (fixed.length === digits && fixed.every((c) => HEX_DIGIT.test(c))) {
      end = ix + digits;
      hex = fixed.join("");
    } else if (this.re[ix] === "{") {
      const start = ix + 1;
      let e = start;
      for (;;) {
        if (e === this.re.length) throw new FancyError("invalid hex escape", ix);
        const c = this.re[e] as string;
        if (e > start && c === "}") break;
        if (HEX_DIGIT.test(c) && e < start + 8) e += 1;
        else throw new FancyError("invalid hex escape", ix);
      }
      end = e + 1;
      hex = this.re.slice(start, e).join("");
    } else throw new FancyError("invalid hex escape", ix);
    const codepoint = Number.parseInt(hex, 16);
    if (codepoint > 0x10ffff || (codepoint >= 0xd800 && codepoint <= 0xdfff)) {
      throw new FancyError("the escape is not a Unicode scalar value", ix);
    }
    return [end, { t: "literal", value: String.fromCodePoint(codepoint), casei: this.flag(FLAG_CASEI) }];
  }

  /** A class is handed to the regex crate as written, except escapes, which are read here. */
  private parseClass(ix: number): [number, Expr] {
    let i = ix + 1;
    let text = "[";
    if (this.re[i] === "^") {
      text += "^";
      i += 1;
    }
    if (this.re[i] === "]") {
      text += "]";
      i += 1;
    }
    let nest = 1;
    for (;;) {
      if (i === this.re.length) throw new FancyError("unclosed character class", i);
      const c = this.re[i] as string;
      if (c === "\\") {
        const [end, expr] = this.parseEscape(i, true);
        if (expr.t === "literal") text += escapeMeta(expr.value);
        else if (expr.t === "delegate") text += expr.inner;
        else throw new FancyError("a backreference cannot be used in a character class", i);
        i = end;
      } else if (c === "[") {
        nest += 1;
        text += "[";
        i += 1;
      } else if (c === "]") {
        nest -= 1;
        text += "]";
        if (nest === 0) break;
        i += 1;
      } else {
        text += c;
        i += 1;
      }
    }
    return [i + 1, { t: "delegate", inner: text, casei: this.flag(FLAG_CASEI) }];
  }

  private parseGroup(ix: number, outerDepth: number): [number, Expr] {
    const depth = outerDepth + 1;
    if (depth >= MAX_DEPTH) throw new FancyError(`groups nested ${MAX_DEPTH} deep`, ix);
    let i = this.optionalWhitespace(ix + 1);
    let look: LookKind | undefined;
    let kind: "capture" | "atomic" = "capture";
    if (this.startsWith(i, "?=")) [look, i] = ["ahead", i + 2];
    else if (this.startsWith(i, "?!")) [look, i] = ["aheadNeg", i + 2];
    else if (this.startsWith(i, "?<=")) [look, i] = ["behind", i + 3];
    else if (this.startsWith(i, "?<!")) [look, i] = ["behindNeg", i + 3];
    else if (this.startsWith(i, "?<") || this.startsWith(i, "?P<")) {
      this.currentGroup += 1;
      const at = this.re[i + 1] === "P" ? i + 2 : i + 1;
      const parsed = this.parseId(at, "<", ">", false);
      if (!parsed) throw new FancyError("cannot read the group name", i);
      this.namedGroups.set(parsed[0], this.currentGroup);
      i = at + parsed[1];
    } else if (this.startsWith(i, "?P=")) {
      return this.parseNamedBackref(i + 3, "", ")", false);
    } else if (this.startsWith(i, "?>")) [kind, i] = ["atomic", i + 2];
    else if (this.startsWith(i, "?(")) return this.parseConditional(i + 2, depth);
    else if (this.startsWith(i, "?")) return this.parseFlags(i, depth);
    else this.currentGroup += 1;
    const [end, child] = this.parseRe(i, depth);
    const after = this.checkForCloseParen(end);
    if (look) return [after, { t: "look", child, kind: look }];
    return [after, kind === "atomic" ? { t: "atomic", child } : { t: "group", child }];
  }

  private checkForCloseParen(ix: number): number {
    const i = this.optionalWhitespace(ix);
    if (i === this.re.length) throw new FancyError('a "(" is never closed', i);
    if (this.re[i] !== ")") throw new FancyError(`expected ")" but found "${this.re[i]}"`, i);
    return i + 1;
  }

  /** `ix` is at the `?` of `(?flags)` or `(?flags:...)`. */
  private parseFlags(ix: number, depth: number): [number, Expr] {
    const start = ix + 1;
    const unknownFlag = (end: number) =>
      new FancyError(`unknown group flag (?${this.re.slice(start, end + 1).join("")}`, start);
    let i = start;
    let negated = false;
    const oldFlags = this.flags;
    for (; ; i += 1) {
      i = this.optionalWhitespace(i);
      if (i === this.re.length) throw new FancyError('a "(" is never closed', i);
      const c = this.re[i] as string;
      const flag = FLAG_LETTERS[c];
      if (flag !== undefined) {
        this.flags = negated ? this.flags & ~flag : this.flags | flag;
      } else if (c === "u") {
        if (negated) throw new FancyError("(?-u) is not supported", i);
      } else if (c === "-") {
        if (negated) throw unknownFlag(i);
        negated = true;
      } else if (c === ")") {
        if (i === start || (negated && i === start + 1)) throw unknownFlag(i);
        return [i + 1, EMPTY];
      } else if (c === ":") {
        if (negated && i === start + 1) throw unknownFlag(i);
        const [end, child] = this.parseRe(i + 1, depth);
        if (end === this.re.length) throw new FancyError('a "(" is never closed', end);
        if (this.re[end] !== ")") throw new FancyError(`expected ")" but found "${this.re[end]}"`, end);
        this.flags = oldFlags;
        return [end + 1, child];
      } else throw unknownFlag(i);
    }
  }

  /** `ix` is after `(?(`: `(?(1)yes|no)`, `(?(<name>)...)`, or `(?(condition)yes|no)`. */
  private parseConditional(ix: number, depth: number): [number, Expr] {
    if (ix >= this.re.length) throw new FancyError('a "(" is never closed', ix);
    const c = this.re[ix] as string;
    let [next, condition] = DIGIT.test(c)
      ? this.parseNumberedBackref(ix)
      : c === "'"
        ? this.parseNamedBackref(ix, "'", "'", true)
        : c === "<"
          ? this.parseNamedBackref(ix, "<", ">", true)
          : this.parseRe(ix, depth);
    next = this.checkForCloseParen(next);
    const [end, child] = this.parseRe(next, depth);
    if (end === next) {
      if (condition.t === "backref") {
        return [this.checkForCloseParen(end), { t: "backrefExists", group: condition.group }];
      }
      throw new FancyError("a conditional needs a backreference or a branch for when it is true", end);
    }
    let yes: Expr = child;
    let no: Expr = EMPTY;
    if (child.t === "alt") {
      const [first, ...rest] = child.children;
      yes = first as Expr;
      no = rest.length === 1 ? (rest[0] as Expr) : { t: "alt", children: rest };
    }
    const inner: Expr =
      condition.t === "backref" ? { t: "backrefExists", group: condition.group } : condition;
    const after = this.checkForCloseParen(end);
    if (yes.t === "empty" && no.t === "empty") return [after, inner];
    return [after, { t: "conditional", condition: inner, yes, no }];
  }

  /** Skips `(?#comments)` always, and whitespace and `# line comments` under the `x` flag. */
  private optionalWhitespace(ix: number): number {
    let i = ix;
    for (;;) {
      if (i >= this.re.length) return i;
      const c = this.re[i];
      if (c === "#" && this.flag(FLAG_IGNORE_SPACE)) {
        const newline = this.re.indexOf("\n", i);
        if (newline < 0) return this.re.length;
        i = newline + 1;
      } else if ((c === " " || c === "\r" || c === "\n" || c === "\t") && this.flag(FLAG_IGNORE_SPACE)) {
        i += 1;
      } else if (this.startsWith(i, "(?#")) {
        i += 3;
        for (;;) {
          if (i >= this.re.length) throw new FancyError('a "(?#" comment is never closed', i);
          if (this.re[i] === ")") {
            i += 1;
            break;
          }
          i += this.re[i] === "\\" ? 2 : 1;
        }
      } else return i;
    }
  }

  /**
   * An identifier between `open` and `close` at `ix`: [id, length used including delimiters].
   * With `allowRelative`, `-` followed by digits is an identifier too.
   */
  private parseId(
    ix: number,
    open: string,
    close: string,
    allowRelative: boolean,
  ): [string, number] | undefined {
    if (!this.startsWith(ix, open)) return undefined;
    const idStart = ix + open.length;
    let i = idStart;
    if (allowRelative && this.re[i] === "-") {
      i += 1;
      while (i < this.re.length && DIGIT.test(this.re[i] as string)) i += 1;
    } else {
      while (i < this.re.length && ID_CHAR.test(this.re[i] as string)) i += 1;
    }
    if (i === this.re.length || i === idStart || !this.startsWith(i, close)) return undefined;
    return [this.re.slice(idStart, i).join(""), i - ix + close.length];
  }
}

const FLAG_LETTERS: Record<string, number> = {
  i: FLAG_CASEI,
  m: FLAG_MULTI,
  s: FLAG_DOTNL,
  U: FLAG_SWAP_GREED,
  x: FLAG_IGNORE_SPACE,
};

const SIMPLE_ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\x08",
  f: "\x0c",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\x0b",
  e: "\x1b",
  " ": " ",
};

// ---------------------------------------------------------------------------------------------
// Analysis (fancy-regex's `analyze.rs`): which parts need fancy-regex's own engine ("hard")

interface Info {
  expr: Expr;
  children: Info[];
  minSize: bigint;
  constSize: boolean;
  hard: boolean;
}

/** Rust `usize` arithmetic as a release build does it (wrapping). */
const usize = (n: bigint) => BigInt.asUintN(64, n);
const minBig = (a: bigint, b: bigint) => (a < b ? a : b);

class Analyzer {
  constructor(private groupIndex: number) {}

  visit(expr: Expr): Info {
    const children: Info[] = [];
    let minSize = 0n;
    let constSize = false;
    let hard = false;
    switch (expr.t) {
      case "assertion":
        constSize = true;
        hard = !(expr.kind in EASY_ASSERTIONS);
        break;
      case "empty":
        constSize = true;
        break;
      case "any":
      case "literal":
      case "delegate":
        minSize = 1n;
        constSize = true;
        break;
      case "concat":
        constSize = true;
        for (const child of expr.children) {
          const info = this.visit(child);
          minSize = usize(minSize + info.minSize);
          constSize &&= info.constSize;
          hard ||= info.hard;
          children.push(info);
        }
        break;
      case "alt": {
        expr.children.forEach((child, i) => {
          const info = this.visit(child);
          if (i === 0) {
            [minSize, constSize, hard] = [info.minSize, info.constSize, info.hard];
          } else {
            constSize &&= info.constSize && minSize === info.minSize;
            minSize = minBig(minSize, info.minSize);
            hard ||= info.hard;
          }
          children.push(info);
        });
        break;
      }
      case "group": {
        this.groupIndex += 1;
        const info = this.visit(expr.child);
        // fancy-regex 0.14 drops the set of referenced groups before analysis, so a group is
        // never hard merely because it is referenced.
        [minSize, constSize, hard] = [info.minSize, info.constSize, info.hard];
        children.push(info);
        break;
      }
      case "look":
        children.push(this.visit(expr.child));
        constSize = true;
        hard = true;
        break;
      case "repeat": {
        const info = this.visit(expr.child);
        minSize = usize(info.minSize * expr.lo);
        constSize = info.constSize && expr.lo === expr.hi;
        hard = info.hard;
        children.push(info);
        break;
      }
      case "backref":
      case "backrefExists":
        if (expr.group >= this.groupIndex) {
          throw new FancyError("backreference to a group that does not start before it");
        }
        hard = true;
        constSize = expr.t === "backrefExists";
        break;
      case "atomic": {
        const info = this.visit(expr.child);
        [minSize, constSize, hard] = [info.minSize, info.constSize, true];
        children.push(info);
        break;
      }
      case "keepOut":
      case "continue":
        hard = true;
        constSize = true;
        break;
      case "conditional": {
        const [c, y, n] = [this.visit(expr.condition), this.visit(expr.yes), this.visit(expr.no)];
        hard = true;
        minSize = usize(c.minSize + minBig(y.minSize, n.minSize));
        constSize = c.constSize && y.constSize && n.constSize && usize(c.minSize + y.minSize) === n.minSize;
        children.push(c, y, n);
        break;
      }
    }
    return { expr, children, minSize, constSize, hard };
  }
}

/** Assertions the regex crate handles, as fancy-regex writes them; word boundaries are "hard". */
const EASY_ASSERTIONS: Partial<Record<AssertionKind, string>> = {
  startText: "^",
  endText: "$",
  startLine: "(?m:^)",
  endLine: "(?m:$)",
};

const isLiteral = (info: Info): boolean =>
  info.expr.t === "literal" ? !info.expr.casei : info.expr.t === "concat" && info.children.every(isLiteral);

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
    let prefixEnd = 0;
    while (prefixEnd < children.length && isEasyConst(children[prefixEnd] as Info)) prefixEnd += 1;
    let suffixBegin = children.length;
    while (suffixBegin > prefixEnd) {
      const child = children[suffixBegin - 1] as Info;
      if (hard ? !isEasyConst(child) : child.hard) break;
      suffixBegin -= 1;
    }
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

const isEasyConst = (info: Info) => info.constSize && !info.hard;

/** fancy-regex's `is_special` (its own escaping of literals). */
const SPECIAL = new Set("\\.+*?()|[]{}^$#");
/** regex-syntax's `is_meta_character` (escaping of literals inside classes). */
const META = new Set("\\.+*?()|[]{}^$#&-~");

const escapeMeta = (text: string) => Array.from(text, (c) => (META.has(c) ? `\\${c}` : c)).join("");

/** fancy-regex's `Expr::to_str`: an easy expression in the regex crate's syntax. */
function toRegexString(expr: Expr, precedence: number): string {
  const wrap = (when: boolean, text: string) => (when ? `(?:${text})` : text);
  switch (expr.t) {
    case "empty":
      return "";
    case "any":
      return expr.newline ? "(?s:.)" : ".";
    case "literal": {
      const quoted = Array.from(expr.value, (c) => (SPECIAL.has(c) ? `\\${c}` : c)).join("");
      return expr.casei ? `(?i:${quoted})` : quoted;
    }
    case "assertion": {
      const text = EASY_ASSERTIONS[expr.kind];
      if (text === undefined) throw new Error(`internal error: ${expr.kind} is not an easy expression`);
      return text;
    }
    case "concat":
      return wrap(precedence > 1, expr.children.map((c) => toRegexString(c, 2)).join(""));
    case "alt":
      return wrap(precedence > 0, expr.children.map((c) => toRegexString(c, 1)).join("|"));
    case "group":
      return `(${toRegexString(expr.child, 0)})`;
    case "repeat": {
      const { lo, hi } = expr;
      let quantifier: string;
      if (lo === 0n && hi === 1n) quantifier = "?";
      else if (lo === 0n && hi === USIZE_MAX) quantifier = "*";
      else if (lo === 1n && hi === USIZE_MAX) quantifier = "+";
      else quantifier = `{${lo}${lo === hi ? "" : `,${hi === USIZE_MAX ? "" : hi}`}}`;
      return wrap(precedence > 2, `${toRegexString(expr.child, 3)}${quantifier}${expr.greedy ? "" : "?"}`);
    }
    case "delegate":
      return expr.casei ? `(?i:${expr.inner})` : expr.inner;
    default:
      throw new Error(`internal error: ${expr.t} is not an easy expression`);
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
