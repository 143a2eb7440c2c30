/**
 * mirrord compiles filters with fancy-regex and a `(?i)` prefix. JavaScript's RegExp is close but
 * spells a few things differently; translate those so that valid Rust syntax is accepted and a
 * real syntax error (unbalanced parentheses, a dangling quantifier, a bad class) is rejected.
 */

/** Returns undefined when `pattern` compiles, otherwise the reason it does not. */
export function checkRustRegex(pattern: string): string | undefined {
  let translated: string;
  try {
    translated = translateRustRegex(pattern);
  } catch (error) {
    return (error as Error).message;
  }
  try {
    new RegExp(translated);
    return undefined;
  } catch (error) {
    // "Invalid regular expression: /(a/: Unterminated group" -> "Unterminated group"
    const message = (error as Error).message;
    return message.slice(message.lastIndexOf(": ") + 2);
  }
}

const INLINE_FLAGS = /^\(\?[imsxUuR-]+\)/;
const SCOPED_FLAGS = /^\(\?[imsxUuR-]+:/;
const POSIX_CLASS =
  /^\[:\^?(alnum|alpha|ascii|blank|cntrl|digit|graph|lower|print|punct|space|upper|word|xdigit):\]/;

/** Rewrites Rust-only syntax into an equivalent JavaScript form (for a syntax check only). */
export function translateRustRegex(pattern: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; ) {
    const rest = pattern.slice(i);
    const ch = pattern[i];
    if (ch === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) throw new Error("pattern ends with a lone backslash");
      if (next === "p" || next === "P") {
        // Unicode classes: Rust names (`\p{Greek}`) differ from JS (`\p{Script=Greek}`); the
        // name itself is not checked, only that the braces close.
        const named = /^\\[pP](\{[^}]*\}|[A-Za-z])/.exec(rest);
        if (!named) throw new Error("unclosed Unicode class \\p{...}");
        out += "a";
        i += named[0].length;
        continue;
      }
      if (!inClass && next === "A") out += "^";
      else if (!inClass && next === "z") out += "$";
      else out += `\\${next}`;
      i += 2;
      continue;
    }
    if (inClass) {
      const posix = POSIX_CLASS.exec(rest);
      if (posix) {
        out += "a";
        i += posix[0].length;
        continue;
      }
      if (ch === "]") inClass = false;
      out += ch;
      i += 1;
      continue;
    }
    if (ch === "[") {
      inClass = true;
      out += ch;
      i += 1;
      // A `]` right after `[` or `[^` is a literal in Rust.
      if (pattern[i] === "^") {
        out += "^";
        i += 1;
      }
      if (pattern[i] === "]") {
        out += "\\]";
        i += 1;
      }
      continue;
    }
    if (ch === "{" && /^\{\d/.test(rest) && !/^\{\d+(,\d*)?\}/.test(rest)) {
      // JavaScript reads `a{2` as a literal; Rust rejects the unclosed repetition.
      throw new Error("unclosed counted repetition");
    }
    const flags = INLINE_FLAGS.exec(rest);
    if (flags) {
      i += flags[0].length;
      continue;
    }
    const scoped = SCOPED_FLAGS.exec(rest);
    if (scoped) {
      out += "(?:";
      i += scoped[0].length;
      continue;
    }
    if (rest.startsWith("(?P<")) {
      out += "(?<";
      i += 4;
      continue;
    }
    if (rest.startsWith("(?P=")) {
      const end = rest.indexOf(")");
      if (end < 0) throw new Error("unterminated named backreference");
      out += `\\k<${rest.slice(4, end)}>`;
      i += end + 1;
      continue;
    }
    if (rest.startsWith("(?>")) {
      out += "(?:";
      i += 3;
      continue;
    }
    out += ch;
    i += 1;
  }
  return out;
}
