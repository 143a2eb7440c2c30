/**
 * fancy-regex 0.14's `Regex::new(pattern)` then `.is_match(text)`. A pattern without fancy-regex's
 * own constructs is handed whole to Rust's regex crate by fancy-regex, so it is matched here by that
 * crate; anything else needs fancy-regex's backtracking matcher, which this module does not have:
 * it answers `cannot-tell`.
 */
import { newRustRegex } from "./regex-engine.js";

/** The verdict of fancy_regex::Regex::new(pattern) then .is_match(text), as fancy-regex 0.14.0 gives it. */
export type FancyMatch =
  | { verdict: "match" }
  | { verdict: "no-match" }
  | { verdict: "invalid"; why: string } // Regex::new fails (the pattern does not compile)
  | { verdict: "match-error"; why: string } // is_match returns Err (e.g. the backtrack limit, 1,000,000 by default)
  | { verdict: "cannot-tell"; why: string }; // a construct this port cannot decide exactly

/** `pattern` is passed exactly as given to Regex::new (callers add the agent's "(?i)" themselves). */
export function fancyIsMatch(pattern: string, text: string): FancyMatch {
  let regex: ReturnType<typeof newRustRegex>;
  try {
    regex = newRustRegex(pattern);
  } catch {
    return { verdict: "cannot-tell", why: "needs fancy-regex's backtracking matcher" };
  }
  try {
    return { verdict: regex.isMatch(text) ? "match" : "no-match" };
  } finally {
    regex.free();
  }
}
