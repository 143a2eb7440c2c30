/**
 * Terminal colours (SGR escape sequences) → styled segments. Pure: the log view turns segments
 * into spans with `textContent`, so a line's text can never become markup. The 16 basic colours
 * become classes (the style sheet picks them for light and dark); 256-colour and true-colour
 * values become CSS colours, set through the DOM (a strict CSP forbids `style` attributes, not
 * that). Every other escape sequence (cursor movement, titles) is dropped.
 */

/** A run of text in one style. */
export interface Segment {
  text: string;
  /** Space-separated classes: `f0`-`f15` and `b0`-`b15` (basic colours), `sb` bold, `sd` dim,
   * `si` italic, `su` underline, `ss` strike-through, `sv` inverse without colours. */
  classes: string;
  /** A CSS colour for 256-colour and true-colour values. */
  color?: string;
  background?: string;
}

type Colour = number | string | undefined;

interface Style {
  fg: Colour;
  bg: Colour;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  inverse: boolean;
  strike: boolean;
}

// CSI sequences (SGR is the one ending in `m`), OSC strings, and two-byte escapes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what this matches
const ESCAPES = /\x1b\[([0-?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g;

const plainStyle = (): Style => ({
  fg: undefined,
  bg: undefined,
  bold: false,
  dim: false,
  italic: false,
  underline: false,
  inverse: false,
  strike: false,
});

/** What a terminal would leave of a line: the part after its last carriage return. */
function visiblePart(line: string): string {
  const end = line.endsWith("\r") ? line.length - 1 : line.length;
  const cr = line.lastIndexOf("\r", end - 1);
  return line.slice(cr + 1, end);
}

/** The text without escape sequences (for search). */
export function stripAnsi(line: string): string {
  return visiblePart(line).replace(ESCAPES, "");
}

/** Splits one line into styled segments. */
export function parseAnsi(line: string): Segment[] {
  const text = visiblePart(line);
  const segments: Segment[] = [];
  let style = plainStyle();
  let last = 0;
  const emit = (part: string) => {
    if (part !== "") segments.push(render(part, style));
  };
  for (const match of text.matchAll(ESCAPES)) {
    emit(text.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[2] === "m") style = applySgr(style, match[1] ?? "");
  }
  emit(text.slice(last));
  return segments;
}

function applySgr(previous: Style, params: string): Style {
  const style = { ...previous };
  const codes = params === "" ? [0] : params.split(/[;:]/).map((p) => (p === "" ? 0 : Number(p)));
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] as number;
    if (code === 0) Object.assign(style, plainStyle());
    else if (code === 1) style.bold = true;
    else if (code === 2) style.dim = true;
    else if (code === 3) style.italic = true;
    else if (code === 4) style.underline = true;
    else if (code === 7) style.inverse = true;
    else if (code === 9) style.strike = true;
    else if (code === 22) style.bold = style.dim = false;
    else if (code === 23) style.italic = false;
    else if (code === 24) style.underline = false;
    else if (code === 27) style.inverse = false;
    else if (code === 29) style.strike = false;
    else if (code >= 30 && code <= 37) style.fg = code - 30;
    else if (code === 39) style.fg = undefined;
    else if (code >= 40 && code <= 47) style.bg = code - 40;
    else if (code === 49) style.bg = undefined;
    else if (code >= 90 && code <= 97) style.fg = code - 90 + 8;
    else if (code >= 100 && code <= 107) style.bg = code - 100 + 8;
    else if (code === 38 || code === 48) {
      const [colour, used] = extendedColour(codes, i + 1);
      if (code === 38) style.fg = colour;
      else style.bg = colour;
      i += used;
    }
  }
  return style;
}

/** `5;n` (256 colours) or `2;r;g;b` (true colour) after 38/48; returns the colour and codes used. */
function extendedColour(codes: number[], at: number): [Colour, number] {
  const kind = codes[at];
  if (kind === 5) {
    const n = codes[at + 1] ?? 0;
    return [palette256(n), 2];
  }
  if (kind === 2) {
    const [r, g, b] = [codes[at + 1], codes[at + 2], codes[at + 3]].map((v) => clamp(v ?? 0));
    return [`rgb(${r},${g},${b})`, 4];
  }
  return [undefined, codes.length];
}

function palette256(n: number): Colour {
  if (n < 16) return n;
  if (n < 232) {
    const steps = [0, 95, 135, 175, 215, 255];
    const i = n - 16;
    return `rgb(${steps[Math.floor(i / 36)]},${steps[Math.floor(i / 6) % 6]},${steps[i % 6]})`;
  }
  if (n < 256) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  return undefined;
}

function clamp(v: number): number {
  return Math.max(0, Math.min(255, Math.floor(v)));
}

function render(text: string, style: Style): Segment {
  let { fg, bg } = style;
  const classes: string[] = [];
  if (style.inverse) {
    if (fg === undefined && bg === undefined) classes.push("sv");
    [fg, bg] = [bg, fg];
  }
  const segment: Segment = { text, classes: "" };
  if (typeof fg === "number") classes.push(`f${fg}`);
  else if (fg !== undefined) segment.color = fg;
  if (typeof bg === "number") classes.push(`b${bg}`);
  else if (bg !== undefined) segment.background = bg;
  if (style.bold) classes.push("sb");
  if (style.dim) classes.push("sd");
  if (style.italic) classes.push("si");
  if (style.underline) classes.push("su");
  if (style.strike) classes.push("ss");
  segment.classes = classes.join(" ");
  return segment;
}
