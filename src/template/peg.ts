/**
 * A small PEG interpreter with pest's semantics, so that Tera's grammar (grammar.ts) accepts and
 * rejects exactly what Tera's pest parser does, and a syntax error points where pest's does:
 * implicit whitespace between the parts of non-atomic rules, the four rule modifiers
 * (`_` silent, `@` atomic, `$` compound-atomic, `!` non-atomic), ordered choice, and pest's
 * bookkeeping of the furthest position where a rule was attempted.
 */

/** A grammar expression. */
export type Pattern =
  | { k: "lit"; s: string }
  | { k: "range"; lo: number; hi: number }
  | { k: "any" }
  | { k: "seq"; xs: Pattern[] }
  | { k: "choice"; xs: Pattern[] }
  | { k: "opt"; x: Pattern }
  | { k: "star"; x: Pattern }
  | { k: "plus"; x: Pattern }
  | { k: "not"; x: Pattern }
  | { k: "ref"; name: string }
  /**
   * `(!stop ~ ANY)*` (min 0) or `+` (min 1), the shape of text, raw text and comments. `scan`
   * finds the only places where `stop` could match, so the text in between is skipped in one
   * step; at those places `stop` is tried as pest would, with the same bookkeeping.
   */
  | { k: "until"; stop: Pattern; scan: RegExp; min: 0 | 1 };

/** A rule: `""` normal, `"_"` silent, `"@"` atomic, `"$"` compound-atomic, `"!"` non-atomic. */
export interface RuleDef {
  mod: "" | "_" | "@" | "$" | "!";
  body: Pattern;
}

/** A matched rule: its name, source range (UTF-16 offsets) and the rules matched inside. */
export interface Pair {
  rule: string;
  start: number;
  end: number;
  children: Pair[];
}

/** Where and why a parse failed: pest's furthest attempted position and the rules tried there. */
export interface PegFailure {
  pos: number;
  expected: string[];
  unexpected: string[];
  /** Set when the parse was stopped by a safety bound rather than by the grammar. */
  bound?: string;
}

type Atomicity = "atomic" | "compound" | "non";
type Lookahead = "none" | "neg" | "pos";

const MAX_STEPS = 20_000_000;
/** The result of a match that produced no pairs; shared, never written to. */
const NONE: readonly Pair[] = Object.freeze([]);
const MAX_DEPTH = 1_500;

class BoundExceeded extends Error {}

/** Parses `input` from `start`; returns the start rule's pair or the failure. */
export function pegParse(
  grammar: Readonly<Record<string, RuleDef>>,
  start: string,
  input: string,
): Pair | PegFailure {
  // PEG results depend only on the rule, the position and the modes, so a first run remembers
  // them (packrat parsing) and is linear. Where to report an error depends on the order of all
  // attempts, which remembering skips: a failed parse is run again without it.
  const fast = pegRun(grammar, start, input, true);
  if ("rule" in fast || fast.bound) return fast;
  return pegRun(grammar, start, input, false);
}

interface MemoEntry {
  end: number;
  result: readonly Pair[] | null;
}

function pegRun(
  grammar: Readonly<Record<string, RuleDef>>,
  start: string,
  input: string,
  memoize: boolean,
): Pair | PegFailure {
  const memo = new Map<string, Map<number, MemoEntry>>();
  let pos = 0;
  let atomicity: Atomicity = "non";
  let lookahead: Lookahead = "none";
  let attemptPos = 0;
  let posAttempts: string[] = [];
  let negAttempts: string[] = [];
  let steps = 0;
  let depth = 0;

  const attemptsAt = (at: number) => (attemptPos === at ? posAttempts.length + negAttempts.length : 0);

  // pest's `ParserState::track`: remember the rule that failed (or, under a negative lookahead,
  // matched) at the furthest position; a parent replaces its children there unless exactly one
  // child was attempted.
  const track = (rule: string, at: number, posIndex: number, negIndex: number, before: number) => {
    if (atomicity === "atomic") return;
    const now = attemptsAt(at);
    if (now > before && now - before === 1) return;
    if (at === attemptPos) {
      posAttempts.length = posIndex;
      negAttempts.length = negIndex;
    }
    if (at > attemptPos) {
      posAttempts = [];
      negAttempts = [];
      attemptPos = at;
    }
    if (at === attemptPos) (lookahead === "neg" ? negAttempts : posAttempts).push(rule);
  };

  const skip = () => {
    if (atomicity !== "non") return;
    while (pos < input.length) {
      const c = input.charCodeAt(pos);
      if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
      pos++;
    }
  };

  const withAtomicity = <T>(a: Atomicity, f: () => T): T => {
    const saved = atomicity;
    atomicity = a;
    try {
      return f();
    } finally {
      atomicity = saved;
    }
  };

  const callRule = (name: string, body: Pattern): readonly Pair[] | null => {
    if (++steps > MAX_STEPS) throw new BoundExceeded("the template is too complex to parse");
    if (++depth > MAX_DEPTH) throw new BoundExceeded("the template nests too deeply to parse");
    try {
      const at = pos;
      const produce = lookahead === "none" && atomicity !== "atomic";
      const posIndex = at === attemptPos ? posAttempts.length : 0;
      const negIndex = at === attemptPos ? negAttempts.length : 0;
      const before = attemptsAt(at);
      const result = grammar[name]!.mod === "@" ? withAtomicity("atomic", () => match(body)) : match(body);
      if (result === null) {
        if (lookahead !== "neg") track(name, at, posIndex, negIndex, before);
        return null;
      }
      if (lookahead === "neg") track(name, at, posIndex, negIndex, before);
      return produce ? [{ rule: name, start: at, end: pos, children: result as Pair[] }] : NONE;
    } finally {
      depth--;
    }
  };

  const callRef = (name: string): readonly Pair[] | null => {
    // Only non-atomic rules (`!`), whose result does not depend on the caller's mode, and only
    // outside lookaheads: those are the expressions that alternatives parse again and again.
    if (!memoize || lookahead !== "none" || grammar[name]?.mod !== "!") return callRefNow(name);
    let byPos = memo.get(name);
    if (!byPos) {
      byPos = new Map();
      memo.set(name, byPos);
    }
    const known = byPos.get(pos);
    if (known) {
      if (known.result !== null) pos = known.end;
      return known.result;
    }
    const at = pos;
    const result = callRefNow(name);
    byPos.set(at, { end: pos, result });
    return result;
  };

  const callRefNow = (name: string): readonly Pair[] | null => {
    const def = grammar[name];
    if (!def) throw new Error(`unknown grammar rule ${name}`);
    switch (def.mod) {
      case "_":
        return match(def.body);
      case "$":
        return withAtomicity("compound", () => callRule(name, def.body));
      case "!":
        return withAtomicity("non", () => callRule(name, def.body));
      default:
        return callRule(name, def.body);
    }
  };

  const repeat = (x: Pattern, first: readonly Pair[]): readonly Pair[] => {
    let out = first.length ? [...first] : undefined;
    for (;;) {
      const save = pos;
      skip();
      const r = match(x);
      if (r === null || pos === save) {
        pos = save;
        return out ?? NONE;
      }
      if (r.length) {
        out ??= [];
        out.push(...r);
      }
    }
  };

  function match(p: Pattern): readonly Pair[] | null {
    switch (p.k) {
      case "lit":
        if (input.startsWith(p.s, pos)) {
          pos += p.s.length;
          return NONE;
        }
        return null;
      case "range": {
        const c = input.codePointAt(pos);
        if (c === undefined || c < p.lo || c > p.hi) return null;
        pos += c > 0xffff ? 2 : 1;
        return NONE;
      }
      case "any": {
        const c = input.codePointAt(pos);
        if (c === undefined) return null;
        pos += c > 0xffff ? 2 : 1;
        return NONE;
      }
      case "seq": {
        const save = pos;
        let out: Pair[] | undefined;
        for (let i = 0; i < p.xs.length; i++) {
          if (i > 0) skip();
          const r = match(p.xs[i]!);
          if (r === null) {
            pos = save;
            return null;
          }
          if (r.length) {
            out ??= [];
            out.push(...r);
          }
        }
        return out ?? NONE;
      }
      case "choice":
        for (const x of p.xs) {
          const r = match(x);
          if (r !== null) return r;
        }
        return null;
      case "opt":
        return match(p.x) ?? NONE;
      case "star": {
        const first = match(p.x);
        return first === null ? NONE : repeat(p.x, first);
      }
      case "plus": {
        const first = match(p.x);
        return first === null ? null : repeat(p.x, first);
      }
      case "not": {
        const save = pos;
        const saved = lookahead;
        lookahead = saved === "neg" ? "pos" : "neg";
        const r = match(p.x);
        lookahead = saved;
        pos = save;
        return r === null ? NONE : null;
      }
      case "ref":
        return callRef(p.name);
      case "until": {
        const begin = pos;
        const scan = new RegExp(p.scan.source, "g");
        for (;;) {
          scan.lastIndex = pos;
          const next = scan.exec(input);
          pos = next ? next.index : input.length;
          if (pos >= input.length) break;
          if (match({ k: "not", x: p.stop }) === null) break;
          pos += (input.codePointAt(pos) ?? 0) > 0xffff ? 2 : 1;
        }
        if (p.min === 1 && pos === begin) return null;
        return NONE;
      }
    }
  }

  try {
    const result = callRef(start);
    if (result?.[0]) return result[0];
  } catch (error) {
    if (error instanceof BoundExceeded) return { pos, expected: [], unexpected: [], bound: error.message };
    if (error instanceof RangeError) {
      return { pos, expected: [], unexpected: [], bound: "the template nests too deeply to parse" };
    }
    throw error;
  }
  return { pos: attemptPos, expected: [...new Set(posAttempts)], unexpected: [...new Set(negAttempts)] };
}

// Small constructors so that grammar.ts reads like the .pest file it mirrors.
export const lit = (s: string): Pattern => ({ k: "lit", s });
export const range = (lo: string, hi: string): Pattern => ({
  k: "range",
  lo: lo.codePointAt(0)!,
  hi: hi.codePointAt(0)!,
});
export const ANY: Pattern = { k: "any" };
const toPattern = (x: Pattern | string): Pattern => (typeof x === "string" ? lit(x) : x);
export const seq = (...xs: (Pattern | string)[]): Pattern => ({ k: "seq", xs: xs.map(toPattern) });
export const choice = (...xs: (Pattern | string)[]): Pattern => ({ k: "choice", xs: xs.map(toPattern) });
export const opt = (x: Pattern | string): Pattern => ({ k: "opt", x: toPattern(x) });
export const star = (x: Pattern | string): Pattern => ({ k: "star", x: toPattern(x) });
export const plus = (x: Pattern | string): Pattern => ({ k: "plus", x: toPattern(x) });
export const not = (x: Pattern | string): Pattern => ({ k: "not", x: toPattern(x) });
export const ref = (name: string): Pattern => ({ k: "ref", name });
export const until = (stop: Pattern, scan: RegExp, min: 0 | 1): Pattern => ({ k: "until", stop, scan, min });
