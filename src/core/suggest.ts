import { closestMatch } from "leven";

/** The closest candidate within two edits, for "did you mean" hints; undefined when none is close. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const match = closestMatch(word, candidates, { maxDistance: 2 });
  // A one- or two-letter word is within two edits of almost anything; suggesting then is noise.
  return match !== undefined && match !== word && word.length > 2 ? match : undefined;
}
