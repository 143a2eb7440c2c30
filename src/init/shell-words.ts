/**
 * Splits a command line the way a POSIX shell splits words, without running a shell:
 * whitespace separates words; 'single quotes' keep everything literally; "double quotes" keep
 * spaces and honour \\ \" \$ \`; a backslash outside quotes escapes the next character.
 * No expansion of any kind ($VAR, globs, ~) happens.
 */

export type SplitResult = { ok: true; words: string[] } | { ok: false; error: string };

export function splitShellWords(line: string): SplitResult {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === "\\" && i + 1 < line.length && '\\"$`'.includes(line[i + 1] as string))
        word += line[++i];
      else word += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\") {
      if (i + 1 >= line.length) return { ok: false, error: "the line ends with a lone backslash" };
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) return { ok: false, error: `unclosed ${quote === "'" ? "single" : "double"} quote` };
  if (inWord) words.push(word);
  return { ok: true, words };
}
