/**
 * fancy-regex 0.14.0's `Regex::new(pattern)?.is_match(text)`, as mirrord's agent runs it on a
 * header or a path. A pattern without fancy constructs is handed whole to the regex crate (as
 * fancy-regex's `RegexImpl::Wrap` does); any other is compiled to fancy-regex's instructions
 * (`compile.rs`) and run by a port of its backtracking VM (`vm.rs`), which hands the plain parts
 * to the regex crate (`Insn::Delegate`: an anchored search at the current byte offset).
 *
 * The regex crate is rregex (core/regex-engine.ts). It has no anchored search at an offset and no
 * captures at an offset, so a delegate `P` runs as `\A(?:P)` on the whole text at offset 0, and
 * elsewhere as `\A[\n#](?:P)` on "\n" or "#" followed by the text from the offset (see Delegate:
 * the only assertions a delegate can hold look back at most at whether the byte before is a
 * newline). Capture groups inside a delegate are written `(?P<gN>...)` to read their spans
 * (rregex's unnamed list drops groups that did not take part). All offsets are UTF-8 byte
 * offsets, as in Rust.
 *
 * The backtrack count and the stack bound are counted as vm.rs counts them, so `match-error`
 * comes out where fancy-regex's does. Checked against the real fancy-regex in
 * test/fixtures/fancy-match/.
 */
import {
  Analyzer,
  type AssertionKind,
  type Expr,
  FancyError,
  type Info,
  isLiteral,
  Parser,
  splitConcat,
  toRegexString,
  USIZE_MAX,
} from "./fancy-syntax.js";
import { compileRustRegex, newRustRegex, type RustRegex } from "./regex-engine.js";

/** The verdict of fancy_regex::Regex::new(pattern) then .is_match(text), as fancy-regex 0.14.0 gives it. */
export type FancyMatch =
  | { verdict: "match" }
  | { verdict: "no-match" }
  | { verdict: "invalid"; why: string } // Regex::new fails (the pattern does not compile)
  | { verdict: "match-error"; why: string } // is_match returns Err (e.g. the backtrack limit, 1,000,000 by default)
  | { verdict: "cannot-tell"; why: string }; // a construct this port cannot decide exactly

/** fancy-regex's `RegexOptions::default().backtrack_limit`. */
const BACKTRACK_LIMIT = 1_000_000;
/** vm.rs's `MAX_STACK`: more pending branches than this is a `StackOverflow` error. */
const MAX_STACK = 1_000_000;
/** fancy-regex's error texts (`RuntimeError`'s Display) for the two ways `is_match` fails. */
const BACKTRACK_LIMIT_TEXT = "Error executing regex: Max limit for backtracking count exceeded";
const STACK_OVERFLOW_TEXT = "Error executing regex: Max stack size exceeded for backtracking";

/** `pattern` is passed exactly as given to Regex::new (callers add the agent's "(?i)" themselves). */
export function fancyIsMatch(pattern: string, text: string): FancyMatch {
  if (LONE_SURROGATE.test(pattern) || LONE_SURROGATE.test(text)) {
    return { verdict: "cannot-tell", why: "a lone UTF-16 surrogate: Rust strings cannot hold it" };
  }
  try {
    const compiled = compiledFor(pattern);
    if ("verdict" in compiled) return compiled;
    if (compiled.kind === "wrap") return verdict(sharedRegex(compiled.source).isMatch(text));
    return verdict(new Vm(compiled.program, new Haystack(text)).run());
  } catch (error) {
    if (error instanceof VmError) return { verdict: "match-error", why: error.message };
    if (error instanceof CannotTell) return { verdict: "cannot-tell", why: error.message };
    return { verdict: "cannot-tell", why: `the matcher failed: ${(error as Error).message}` };
  }
}

/** With the `u` flag, a surrogate matches only when it is not half of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

const verdict = (matched: boolean): FancyMatch => ({ verdict: matched ? "match" : "no-match" });

class VmError extends Error {}
class CannotTell extends Error {}

// ---------------------------------------------------------------------------------------------
// Compiled patterns, kept for the next header or path (an agent compiles a filter once)

type Compiled = { kind: "wrap"; source: string } | { kind: "fancy"; program: Program };

const CACHE_SIZE = 64;
const cache = new Map<string, Compiled | FancyMatch>();

function compiledFor(pattern: string): Compiled | FancyMatch {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const compiled = compile(pattern);
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, compiled);
  return compiled;
}

/** `Regex::new` (lib.rs `new_options`): parse, wrap as `.*?(pattern)`, analyse, compile. */
function compile(pattern: string): Compiled | FancyMatch {
  try {
    const root = new Parser(Array.from(pattern)).parse();
    const tree: Expr = {
      t: "concat",
      children: [
        { t: "repeat", child: { t: "any", newline: true }, lo: 0n, hi: USIZE_MAX, greedy: false },
        { t: "group", child: root },
      ],
    };
    const info = new Analyzer(0).visit(tree);
    const inner = (info.children[1] as Info).children[0] as Info;
    if (!inner.hard) {
      // lib.rs: "easy case, wrap regex": the regex crate runs the whole pattern, as fancy-regex writes it
      const source = toRegexString(root, 0);
      try {
        sharedRegex(source);
      } catch {
        compileSubPattern(source);
      }
      return { kind: "wrap", source };
    }
    const compiler = new Compiler(info.endGroup * 2);
    compiler.visit(info, false);
    compiler.prog.push({ op: Op.End });
    return { kind: "fancy", program: assemble(compiler.prog, compiler.nSaves) };
  } catch (error) {
    if (error instanceof FancyError || error instanceof RegexCompileError) {
      return { verdict: "invalid", why: error.message };
    }
    throw error;
  }
}

class RegexCompileError extends Error {}

/** fancy-regex's `compile_inner` failing: why the regex crate refuses `pattern` (throws). */
function compileSubPattern(pattern: string): void {
  try {
    compileRustRegex(pattern).free();
  } catch (error) {
    throw new RegexCompileError((error as Error).message);
  }
}

// ---------------------------------------------------------------------------------------------
// The instructions (vm.rs `Insn`)

enum Op {
  End,
  Any,
  AnyNoNL,
  Assertion,
  Lit,
  Split,
  Jmp,
  Save,
  Save0,
  Restore,
  RepeatGr,
  RepeatNg,
  RepeatEpsilonGr,
  RepeatEpsilonNg,
  FailNegativeLookAround,
  GoBack,
  Backref,
  BeginAtomic,
  EndAtomic,
  Delegate,
  ContinueFromPreviousMatchEnd,
  BackrefExistsCondition,
}

type Insn =
  | { op: Op.End | Op.Any | Op.AnyNoNL | Op.FailNegativeLookAround | Op.BeginAtomic | Op.EndAtomic }
  | { op: Op.ContinueFromPreviousMatchEnd }
  | { op: Op.Assertion; kind: AssertionKind }
  | { op: Op.Lit; bytes: Uint8Array }
  | { op: Op.Split; x: number; y: number }
  | { op: Op.Jmp; to: number }
  | { op: Op.Save | Op.Save0 | Op.Restore | Op.Backref; slot: number }
  | { op: Op.RepeatGr | Op.RepeatNg; lo: number; hi: number; next: number; repeat: number }
  | { op: Op.RepeatEpsilonGr | Op.RepeatEpsilonNg; lo: number; next: number; repeat: number; check: number }
  | { op: Op.GoBack; count: number }
  | { op: Op.BackrefExistsCondition; group: number }
  | { op: Op.Delegate; delegate: Delegate };

/** A usize count as a number; `usize::MAX` (no upper bound) and beyond 2^53 are Infinity. */
const count = (n: bigint): number =>
  n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(n);

// ---------------------------------------------------------------------------------------------
// The compiler (compile.rs)

class Compiler {
  readonly prog: Insn[] = [];

  /** `nSaves`: the save slots, two per group, then the compiler's own (`VMBuilder::newsave`). */
  constructor(public nSaves: number) {}

  visit(info: Info, hard: boolean): void {
    if (!hard && !info.hard) {
      this.delegate(info);
      return;
    }
    const expr = info.expr;
    const child = info.children[0] as Info;
    switch (expr.t) {
      case "empty":
        break;
      case "literal":
        if (!expr.casei) this.prog.push({ op: Op.Lit, bytes: utf8(expr.value) });
        else this.delegate(info);
        break;
      case "any":
        this.prog.push({ op: expr.newline ? Op.Any : Op.AnyNoNL });
        break;
      case "concat":
        this.concat(info, hard);
        break;
      case "alt":
        this.alt(info.children.length, (i) => this.visit(info.children[i] as Info, hard));
        break;
      case "group":
        this.prog.push({ op: Op.Save, slot: info.startGroup * 2 });
        this.visit(child, hard);
        this.prog.push({ op: Op.Save, slot: info.startGroup * 2 + 1 });
        break;
      case "repeat":
        this.repeat(info, expr.lo, expr.hi, expr.greedy, hard);
        break;
      case "look":
        this.lookAround(info, expr.kind);
        break;
      case "backref":
        this.prog.push({ op: Op.Backref, slot: expr.group * 2 });
        break;
      case "backrefExists":
        this.prog.push({ op: Op.BackrefExistsCondition, group: expr.group });
        break;
      case "atomic":
        this.prog.push({ op: Op.BeginAtomic });
        this.visit(child, false);
        this.prog.push({ op: Op.EndAtomic });
        break;
      case "delegate":
        this.delegate(info);
        break;
      case "assertion":
        this.prog.push({ op: Op.Assertion, kind: expr.kind });
        break;
      case "keepOut":
        this.prog.push({ op: Op.Save, slot: 0 });
        break;
      case "continue":
        this.prog.push({ op: Op.ContinueFromPreviousMatchEnd });
        break;
      case "conditional":
        this.conditional((i) => this.visit(info.children[i] as Info, hard));
        break;
    }
  }

  private pc(): number {
    return this.prog.length;
  }

  private newSave(): number {
    return this.nSaves++;
  }

  private alt(n: number, branch: (i: number) => void): void {
    const jmps: Insn[] = [];
    let lastSplit: { x: number; y: number } | undefined;
    for (let i = 0; i < n; i++) {
      const hasNext = i !== n - 1;
      const pc = this.pc();
      let split: { op: Op.Split; x: number; y: number } | undefined;
      if (hasNext) {
        split = { op: Op.Split, x: pc + 1, y: -1 };
        this.prog.push(split);
      }
      if (lastSplit) lastSplit.y = pc;
      lastSplit = split;
      branch(i);
      if (hasNext) {
        const jmp: Insn = { op: Op.Jmp, to: 0 };
        jmps.push(jmp);
        this.prog.push(jmp);
      }
    }
    for (const jmp of jmps) (jmp as { to: number }).to = this.pc();
  }

  private conditional(branch: (i: number) => void): void {
    // The condition runs inside an atomic group: once it holds, the "no" branch is cut.
    this.prog.push({ op: Op.BeginAtomic });
    const split: { op: Op.Split; x: number; y: number } = { op: Op.Split, x: this.pc() + 1, y: -1 };
    this.prog.push(split);
    branch(0);
    this.prog.push({ op: Op.EndAtomic });
    branch(1);
    const jump: { op: Op.Jmp; to: number } = { op: Op.Jmp, to: 0 };
    this.prog.push(jump);
    split.y = this.pc();
    branch(2);
    jump.to = this.pc();
  }

  private concat(info: Info, hard: boolean): void {
    const children = info.children;
    const [prefixEnd, suffixBegin] = splitConcat(children, hard);
    this.delegates(children.slice(0, prefixEnd));
    for (const child of children.slice(prefixEnd, suffixBegin)) this.visit(child, true);
    this.delegates(children.slice(suffixBegin));
  }

  private repeat(info: Info, lo: bigint, hi: bigint, greedy: boolean, incoming: boolean): void {
    const child = info.children[0] as Info;
    if (lo === 0n && hi === 1n) {
      const split: { op: Op.Split; x: number; y: number } = {
        op: Op.Split,
        x: this.pc() + 1,
        y: this.pc() + 1,
      };
      this.prog.push(split);
      this.visit(child, incoming);
      if (greedy) split.y = this.pc();
      else split.x = this.pc();
      return;
    }
    const hard = incoming || info.hard;
    if (hi === USIZE_MAX && child.minSize === 0n) {
      const repeat = this.newSave();
      const check = this.newSave();
      this.prog.push({ op: Op.Save0, slot: repeat });
      const pc = this.pc();
      const insn = {
        op: greedy ? Op.RepeatEpsilonGr : Op.RepeatEpsilonNg,
        lo: count(lo),
        next: -1,
        repeat,
        check,
      };
      this.prog.push(insn as Insn);
      this.visit(child, hard);
      this.prog.push({ op: Op.Jmp, to: pc });
      insn.next = this.pc();
    } else if (lo === 0n && hi === USIZE_MAX) {
      const pc = this.pc();
      const split: { op: Op.Split; x: number; y: number } = { op: Op.Split, x: pc + 1, y: pc + 1 };
      this.prog.push(split);
      this.visit(child, hard);
      this.prog.push({ op: Op.Jmp, to: pc });
      if (greedy) split.y = this.pc();
      else split.x = this.pc();
    } else if (lo === 1n && hi === USIZE_MAX) {
      const pc = this.pc();
      this.visit(child, hard);
      const next = this.pc() + 1;
      this.prog.push(greedy ? { op: Op.Split, x: pc, y: next } : { op: Op.Split, x: next, y: pc });
    } else {
      const repeat = this.newSave();
      this.prog.push({ op: Op.Save0, slot: repeat });
      const pc = this.pc();
      const insn = { op: greedy ? Op.RepeatGr : Op.RepeatNg, lo: count(lo), hi: count(hi), next: -1, repeat };
      this.prog.push(insn as Insn);
      this.visit(child, hard);
      this.prog.push({ op: Op.Jmp, to: pc });
      insn.next = this.pc();
    }
  }

  private lookAround(info: Info, kind: "ahead" | "aheadNeg" | "behind" | "behindNeg"): void {
    const inner = info.children[0] as Info;
    const behind = kind === "behind" || kind === "behindNeg";
    const negative = kind === "aheadNeg" || kind === "behindNeg";
    const split = behind && !inner.constSize && inner.expr.t === "alt";
    if (!split) {
      if (negative) this.negativeLookAround(inner, behind);
      else this.positiveLookAround(inner, behind);
    } else if (negative) {
      // `(?<!a|bb)` is compiled as `(?<!a)(?<!bb)`
      for (const alternative of inner.children) this.negativeLookAround(alternative, true);
    } else {
      // `(?<=a|bb)` is compiled as `(?<=a)|(?<=bb)`
      this.alt(inner.children.length, (i) => this.positiveLookAround(inner.children[i] as Info, true));
    }
  }

  private positiveLookAround(inner: Info, behind: boolean): void {
    const save = this.newSave();
    this.prog.push({ op: Op.Save, slot: save });
    this.lookAroundInner(inner, behind);
    this.prog.push({ op: Op.Restore, slot: save });
  }

  private negativeLookAround(inner: Info, behind: boolean): void {
    const split: { op: Op.Split; x: number; y: number } = { op: Op.Split, x: this.pc() + 1, y: -1 };
    this.prog.push(split);
    this.lookAroundInner(inner, behind);
    this.prog.push({ op: Op.FailNegativeLookAround });
    split.y = this.pc();
  }

  private lookAroundInner(inner: Info, behind: boolean): void {
    if (behind) {
      if (!inner.constSize) {
        throw new FancyError("a look-behind must match a fixed length, e.g. (?<=ab), not (?<=a+)");
      }
      this.prog.push({ op: Op.GoBack, count: count(inner.minSize) });
    }
    this.visit(inner, false);
  }

  private delegates(infos: Info[]): void {
    if (infos.length === 0) return;
    if (infos.every(isLiteral)) {
      this.prog.push({ op: Op.Lit, bytes: utf8(infos.map(literalText).join("")) });
      return;
    }
    this.prog.push({ op: Op.Delegate, delegate: new Delegate(infos) });
  }

  private delegate(info: Info): void {
    this.delegates([info]);
  }
}

/** analyze.rs `push_literal`. */
function literalText(info: Info): string {
  return info.expr.t === "literal" ? info.expr.value : info.children.map(literalText).join("");
}

const encoder = new TextEncoder();
const utf8 = (text: string) => encoder.encode(text);

// ---------------------------------------------------------------------------------------------
// Delegates: plain sub-patterns run by the regex crate

/** One `Insn::Delegate`: compiled as fancy-regex compiles it, run anchored at a byte offset. */
class Delegate {
  readonly startGroup: number;
  readonly endGroup: number;
  /** The sub-pattern as fancy-regex writes it. */
  private readonly pattern: string;
  /**
   * `\A(?:P)`: at offset 0 when P holds a `^` (start of text); without one, offset 0 is searched
   * as `afterChar` after a "\n" (only `(?m:^)` looks back, and it holds there as at the start):
   * one compiled regex instead of two.
   */
  private readonly atStart: string | undefined;
  /**
   * `\A[\n#](?:P)`, run on "\n" or "#" (whichever the character before the offset is like)
   * followed by the text from the offset. A sub-pattern's only assertions are `^`, `$`, `(?m:^)`
   * and `(?m:$)` (word boundaries are never delegated: fancy-regex's analysis makes them "hard"),
   * so what comes before the offset matters only as: is there any, and is it a newline.
   */
  private readonly afterChar: string;
  /** Results by haystack and offset: the VM asks the same question many times while backtracking. */
  private readonly memo = new WeakMap<Haystack, Map<number, DelegateMatch | null>>();

  constructor(infos: Info[]) {
    this.pattern = infos.map((info) => toRegexString(info.expr, 1)).join("");
    this.startGroup = (infos[0] as Info).startGroup;
    this.endGroup = (infos.at(-1) as Info).endGroup;
    const groups = { next: this.startGroup };
    const inner =
      this.startGroup === this.endGroup
        ? this.pattern
        : infos.map((info) => toRegexString(info.expr, 1, groups)).join("");
    this.atStart = infos.some((info) => hasStartText(info.expr)) ? `\\A(?:${inner})` : undefined;
    this.afterChar = `\\A[\\n#](?:${inner})`;
    // fancy-regex's `compile_inner`: the sub-pattern must compile as written.
    try {
      sharedRegex(this.afterChar);
    } catch {
      compileSubPattern(this.pattern);
      throw new CannotTell(
        `the sub-pattern ${JSON.stringify(this.pattern)} compiles, but not wrapped for an anchored search`,
      );
    }
  }

  /** The anchored match at byte offset `ix`, or null. */
  matchAt(haystack: Haystack, ix: number): DelegateMatch | null {
    let byOffset = this.memo.get(haystack);
    if (!byOffset) {
      byOffset = new Map();
      this.memo.set(haystack, byOffset);
    }
    const known = byOffset.get(ix);
    if (known !== undefined) return known;
    const found = this.search(haystack, ix);
    byOffset.set(ix, found);
    return found;
  }

  private search(haystack: Haystack, ix: number): DelegateMatch | null {
    const atStart = ix === 0 && this.atStart !== undefined;
    const regex = sharedRegex(atStart ? (this.atStart as string) : this.afterChar);
    const text = atStart
      ? haystack.text
      : (ix === 0 || haystack.bytes[ix - 1] === 0x0a ? "\n" : "#") + haystack.sliceFrom(ix);
    // byte offsets in `text` -> in the haystack
    const shift = atStart ? 0 : ix - 1;
    if (this.startGroup === this.endGroup) {
      const found = regex.find(text);
      return found ? { end: shift + found.end, groups: [] } : null;
    }
    const found = regex.captures(text);
    if (!found) return null;
    const groups: (readonly [number, number] | null)[] = [];
    for (let group = this.startGroup; group < this.endGroup; group++) {
      const span = found.name[`g${group}`];
      groups.push(span ? [shift + span.start, shift + span.end] : null);
    }
    return { end: shift + (found.get[0] as { end: number }).end, groups };
  }
}

/** Whether an easy expression (one the regex crate runs) holds a start-of-text `^`. */
function hasStartText(expr: Expr): boolean {
  switch (expr.t) {
    case "assertion":
      return expr.kind === "startText";
    case "concat":
    case "alt":
      return expr.children.some(hasStartText);
    case "group":
    case "repeat":
      return hasStartText(expr.child);
    default:
      return false;
  }
}

/**
 * Compiled regexes by source, shared by every pattern (`\w` and its like cost milliseconds to
 * compile); the oldest are freed past CACHE_SIZE. Nothing holds one across calls.
 */
const regexes = new Map<string, RustRegex>();

function sharedRegex(source: string): RustRegex {
  const known = regexes.get(source);
  if (known) return known;
  const regex = newRustRegex(source);
  if (regexes.size >= REGEX_CACHE_SIZE) {
    const [oldest, old] = regexes.entries().next().value as [string, RustRegex];
    regexes.delete(oldest);
    old.free();
  }
  regexes.set(source, regex);
  return regex;
}

const REGEX_CACHE_SIZE = 256;

interface DelegateMatch {
  end: number;
  /** The spans of groups startGroup.. (null: the group did not take part). */
  groups: (readonly [number, number] | null)[];
}

/** The text as Rust sees it: UTF-8 bytes, with a way back to JavaScript's UTF-16 for slicing. */
class Haystack {
  readonly bytes: Uint8Array;
  private readonly utf16At: Int32Array;

  constructor(readonly text: string) {
    this.bytes = utf8(text);
    this.utf16At = new Int32Array(this.bytes.length + 1);
    let byte = 0;
    for (let i = 0; i < text.length; ) {
      const cp = text.codePointAt(i) as number;
      this.utf16At[byte] = i;
      byte += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      i += cp > 0xffff ? 2 : 1;
    }
    this.utf16At[byte] = text.length;
  }

  get length(): number {
    return this.bytes.length;
  }

  sliceFrom(byte: number): string {
    return this.text.slice(this.utf16At[byte]);
  }

  /** lib.rs `prev_codepoint_ix`. */
  prevCharStart(ix: number): number {
    let i = ix - 1;
    while (i > 0 && ((this.bytes[i] as number) & 0xc0) === 0x80) i -= 1;
    return i;
  }

  /** The code point starting at byte `ix`. */
  charAt(ix: number): number {
    return this.text.codePointAt(this.utf16At[ix] as number) as number;
  }
}

// ---------------------------------------------------------------------------------------------
// Assertions (regex-automata's `LookMatcher`, on valid UTF-8 at character boundaries)

let wordRegex: RustRegex | undefined;
const wordChars = new Map<number, boolean>();

/** The regex crate's `\w` (Unicode), asked of the regex crate itself and remembered. */
function isWordChar(cp: number): boolean {
  let known = wordChars.get(cp);
  if (known === undefined) {
    wordRegex ??= newRustRegex("\\A\\w\\z");
    known = wordRegex.isMatch(String.fromCodePoint(cp));
    wordChars.set(cp, known);
  }
  return known;
}

function assertionHolds(kind: AssertionKind, s: Haystack, ix: number): boolean {
  const bytes = s.bytes;
  switch (kind) {
    case "startText":
      return ix === 0;
    case "endText":
      return ix === bytes.length;
    case "startLine":
      return ix === 0 || bytes[ix - 1] === 0x0a;
    case "endLine":
      return ix === bytes.length || bytes[ix] === 0x0a;
    default: {
      const before = ix > 0 && isWordChar(s.charAt(s.prevCharStart(ix)));
      const after = ix < bytes.length && isWordChar(s.charAt(ix));
      if (kind === "wordBoundary") return before !== after;
      if (kind === "notWordBoundary") return before === after;
      if (kind === "leftWordBoundary") return !before && after;
      return before && !after;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The VM (vm.rs `run` and `State`), from position 0 with no option flags, as `is_match` runs it

/** Not set: Rust's `usize::MAX` in a save slot. */
const UNSET = -1;
/** Fields per instruction in the flat program: op, then up to five operands. */
const STRIDE = 6;

/** The program as the VM runs it: one flat array of numbers, and the tables operands index. */
interface Program {
  code: Float64Array;
  lits: Uint8Array[];
  delegates: Delegate[];
  kinds: AssertionKind[];
  nSaves: number;
}

function assemble(prog: Insn[], nSaves: number): Program {
  const code = new Float64Array(prog.length * STRIDE);
  const program: Program = { code, lits: [], delegates: [], kinds: [], nSaves };
  prog.forEach((insn, pc) => {
    const at = pc * STRIDE;
    code[at] = insn.op;
    const operands: number[] = [];
    switch (insn.op) {
      case Op.Lit:
        operands.push(program.lits.push(insn.bytes) - 1);
        break;
      case Op.Assertion:
        operands.push(program.kinds.push(insn.kind) - 1);
        break;
      case Op.Delegate:
        operands.push(program.delegates.push(insn.delegate) - 1);
        break;
      case Op.Split:
        operands.push(insn.x, insn.y);
        break;
      case Op.Jmp:
        operands.push(insn.to);
        break;
      case Op.Save:
      case Op.Save0:
      case Op.Restore:
      case Op.Backref:
        operands.push(insn.slot);
        break;
      case Op.RepeatGr:
      case Op.RepeatNg:
        operands.push(insn.lo, insn.hi, insn.next, insn.repeat);
        break;
      case Op.RepeatEpsilonGr:
      case Op.RepeatEpsilonNg:
        operands.push(insn.lo, 0, insn.next, insn.repeat, insn.check);
        break;
      case Op.GoBack:
        operands.push(insn.count);
        break;
      case Op.BackrefExistsCondition:
        operands.push(insn.group);
        break;
    }
    code.set(operands, at + 1);
  });
  return program;
}

class Vm {
  private readonly saves: number[];
  private readonly stackPc: number[] = [];
  private readonly stackIx: number[] = [];
  private readonly stackNsave: number[] = [];
  private readonly oldSlot: number[] = [];
  private readonly oldValue: number[] = [];
  private nsave = 0;
  private readonly explicitSp: number;

  constructor(
    private readonly program: Program,
    private readonly s: Haystack,
  ) {
    this.saves = new Array<number>(program.nSaves).fill(UNSET);
    this.explicitSp = program.nSaves;
  }

  run(): boolean {
    const { code, lits, delegates, kinds } = this.program;
    const s = this.s;
    const bytes = s.bytes;
    const len = bytes.length;
    const saves = this.saves;
    let backtrackCount = 0;
    let pc = 0;
    let ix = 0;
    for (;;) {
      fail: for (;;) {
        const at = pc * STRIDE;
        switch (code[at] as Op) {
          case Op.End:
            return true;
          case Op.Any:
            if (ix >= len) break fail;
            ix += codepointLen(bytes[ix] as number);
            break;
          case Op.AnyNoNL:
            if (ix >= len || bytes[ix] === 0x0a) break fail;
            ix += codepointLen(bytes[ix] as number);
            break;
          case Op.Lit: {
            const lit = lits[code[at + 1] as number] as Uint8Array;
            if (!matchesAt(bytes, ix, lit, 0, lit.length)) break fail;
            ix += lit.length;
            break;
          }
          case Op.Assertion:
            if (!assertionHolds(kinds[code[at + 1] as number] as AssertionKind, s, ix)) break fail;
            break;
          case Op.Split:
            this.push(code[at + 2] as number, ix);
            pc = code[at + 1] as number;
            continue;
          case Op.Jmp:
            pc = code[at + 1] as number;
            continue;
          case Op.Save:
            this.save(code[at + 1] as number, ix);
            break;
          case Op.Save0:
            this.save(code[at + 1] as number, 0);
            break;
          case Op.Restore:
            ix = saves[code[at + 1] as number] as number;
            break;
          case Op.RepeatGr:
          case Op.RepeatNg: {
            const repeat = code[at + 4] as number;
            const repcount = saves[repeat] as number;
            if (repcount === code[at + 2]) {
              pc = code[at + 3] as number;
              continue;
            }
            this.save(repeat, repcount + 1);
            if (repcount >= (code[at + 1] as number)) {
              pc = this.repeatOn(code[at] === Op.RepeatGr, pc, code[at + 3] as number, ix);
              continue;
            }
            break;
          }
          case Op.RepeatEpsilonGr:
          case Op.RepeatEpsilonNg: {
            const lo = code[at + 1] as number;
            const repeat = code[at + 4] as number;
            const check = code[at + 5] as number;
            const repcount = saves[repeat] as number;
            if (repcount > lo && saves[check] === ix) break fail; // an empty iteration
            this.save(repeat, repcount + 1);
            if (repcount >= lo) {
              this.save(check, ix);
              pc = this.repeatOn(code[at] === Op.RepeatEpsilonGr, pc, code[at + 3] as number, ix);
              continue;
            }
            break;
          }
          case Op.GoBack: {
            const n = code[at + 1] as number;
            for (let i = 0; i < n; i++) {
              if (ix === 0) break fail;
              ix = s.prevCharStart(ix);
            }
            break;
          }
          case Op.FailNegativeLookAround:
            // The look-around's body matched: drop its pending branches, then fail.
            while (this.pop() !== pc + 1);
            break fail;
          case Op.Backref: {
            const slot = code[at + 1] as number;
            const lo = saves[slot] as number;
            const hi = saves[slot + 1] as number;
            if (lo === UNSET || hi === UNSET) break fail;
            if (!matchesAt(bytes, ix, bytes, lo, hi - lo)) break fail;
            ix += hi - lo;
            break;
          }
          case Op.BackrefExistsCondition:
            if (saves[(code[at + 1] as number) * 2] === UNSET) break fail;
            break;
          case Op.BeginAtomic:
            this.stackPush(this.stackPc.length);
            break;
          case Op.EndAtomic:
            this.backtrackCut(this.stackPop());
            break;
          case Op.Delegate: {
            const delegate = delegates[code[at + 1] as number] as Delegate;
            const found = delegate.matchAt(s, ix);
            if (!found) break fail;
            for (let i = 0; i < found.groups.length; i++) {
              const span = found.groups[i];
              const slot = (delegate.startGroup + i) * 2;
              this.save(slot, span ? span[0] : UNSET);
              this.save(slot + 1, span ? span[1] : UNSET);
            }
            ix = found.end;
            break;
          }
          case Op.ContinueFromPreviousMatchEnd:
            if (ix > 0) break fail;
            break;
        }
        pc += 1;
      }
      if (this.stackPc.length === 0) return false;
      backtrackCount += 1;
      if (backtrackCount > BACKTRACK_LIMIT) throw new VmError(BACKTRACK_LIMIT_TEXT);
      ix = this.stackIx[this.stackIx.length - 1] as number;
      pc = this.pop();
    }
  }

  /**
   * Past the minimum, a repetition may stop: greedy, it goes round again and keeps stopping (`next`)
   * for backtracking; lazy, it stops and keeps going round. Returns the pc to go on at.
   */
  private repeatOn(greedy: boolean, pc: number, next: number, ix: number): number {
    this.push(greedy ? next : pc + 1, ix);
    return greedy ? pc + 1 : next;
  }

  private push(pc: number, ix: number): void {
    if (this.stackPc.length >= MAX_STACK) throw new VmError(STACK_OVERFLOW_TEXT);
    this.stackPc.push(pc);
    this.stackIx.push(ix);
    this.stackNsave.push(this.nsave);
    this.nsave = 0;
  }

  /** Pops a branch, restoring the saves made since it was pushed; returns its pc. */
  private pop(): number {
    for (let i = 0; i < this.nsave; i++) {
      const slot = this.oldSlot.pop() as number;
      this.saves[slot] = this.oldValue.pop() as number;
    }
    this.nsave = this.stackNsave.pop() as number;
    this.stackIx.pop();
    return this.stackPc.pop() as number;
  }

  private save(slot: number, value: number): void {
    const top = this.oldSlot.length;
    for (let i = 0; i < this.nsave; i++) {
      if (this.oldSlot[top - i - 1] === slot) {
        this.saves[slot] = value;
        return;
      }
    }
    this.oldSlot.push(slot);
    this.oldValue.push(this.saves[slot] as number);
    this.nsave += 1;
    this.saves[slot] = value;
  }

  /** The explicit stack (atomic groups) lives in the save slots, so backtracking restores it. */
  private stackPush(value: number): void {
    if (this.saves.length === this.explicitSp) this.saves.push(this.explicitSp + 1);
    const sp = this.saves[this.explicitSp] as number;
    if (this.saves.length === sp) this.saves.push(value);
    else this.save(sp, value);
    this.save(this.explicitSp, sp + 1);
  }

  private stackPop(): number {
    const sp = (this.saves[this.explicitSp] as number) - 1;
    const result = this.saves[sp] as number;
    this.save(this.explicitSp, sp);
    return result;
  }

  /** Drops the branches pushed since the stack had `count`, keeping the current saves. */
  private backtrackCut(count: number): void {
    if (this.stackPc.length === count) return;
    let end = this.oldSlot.length - this.nsave;
    for (let i = count + 1; i < this.stackNsave.length; i++) end -= this.stackNsave[i] as number;
    const start = end - (this.stackNsave[count] as number);
    const saved = new Set<number>();
    for (let i = start; i < end; i++) saved.add(this.oldSlot[i] as number);
    let keep = end;
    for (let i = end; i < this.oldSlot.length; i++) {
      const slot = this.oldSlot[i] as number;
      if (saved.has(slot)) continue;
      saved.add(slot);
      swap(this.oldSlot, keep, i);
      swap(this.oldValue, keep, i);
      keep += 1;
    }
    this.stackPc.length = count;
    this.stackIx.length = count;
    this.stackNsave.length = count;
    this.oldSlot.length = keep;
    this.oldValue.length = keep;
    this.nsave = keep - start;
  }
}

function swap(values: number[], a: number, b: number): void {
  const t = values[a] as number;
  values[a] = values[b] as number;
  values[b] = t;
}

/** lib.rs `codepoint_len`. */
function codepointLen(b: number): number {
  return b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
}

/** vm.rs `matches_literal`: `length` bytes of `source` from `from` are at `ix` in `bytes`. */
function matchesAt(bytes: Uint8Array, ix: number, source: Uint8Array, from: number, length: number): boolean {
  if (ix + length > bytes.length) return false;
  for (let i = 0; i < length; i++) if (bytes[ix + i] !== source[from + i]) return false;
  return true;
}
