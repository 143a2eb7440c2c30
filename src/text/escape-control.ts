/**
 * Text that comes from outside (service names, mirrord's progress messages, error texts) may hold
 * control characters: an ESC sequence can recolour, move the cursor, retitle or clear the user's
 * terminal, and a bare CR can hide what came before it. Before such text reaches the terminal it is
 * made visible instead: `\x1b`, `\r`, `\u009b`, ... Tabs stay (they are harmless); line breaks are
 * the caller's business (a status line is split into lines before it is escaped).
 */

// C0 controls but tab and newline, DEL, the C1 controls, and Unicode's bidirectional overrides and
// isolates (which reorder what the user reads).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character written as a visible escape. */
export function escapeControlChars(text: string): string {
  return text.replace(CONTROL, (ch) => {
    const code = ch.charCodeAt(0);
    return code < 0x80
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
