/**
 * Framing: whole lines of a service with its prefix (`name | `) before each, the hot path of a
 * chatty `up`. The lines are read as a `latin1` string (one byte, one character: every byte value
 * comes back exact) and V8's native `replaceAll` inserts the prefix.
 */

/** Framed lines: `data` to be written (a string as `latin1`), and how many lines it holds. */
interface Framed {
  data: Buffer | string;
  lines: number;
}

/**
 * `held` (when given) followed by `chunk[start, end)` is whole lines: those lines with `prefix`
 * (a `latin1` string) before each, and how many lines there are.
 */
export function frameLines(chunk: Buffer, start: number, end: number, prefix: string, held?: Buffer): Framed {
  if (held) {
    const lines = Buffer.concat([held, chunk.subarray(start, end)]);
    return frameLines(lines, 0, lines.length, prefix);
  }
  const text = chunk.toString("latin1", start, end);
  if (prefix.length === 0) {
    let lines = 0;
    for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) lines++;
    return { data: chunk.subarray(start, end), lines };
  }
  const data = prefixText(text, prefix);
  // Each line gained one prefix.
  return { data, lines: (data.length - text.length) / prefix.length };
}

/** `lines` (latin1, each ending with a newline) with `prefix` before each. */
export function prefixText(lines: string, prefix: string): string {
  if (prefix.length === 0) return lines;
  return `${prefix}${lines.slice(0, -1).replaceAll("\n", `\n${prefix}`)}\n`;
}
