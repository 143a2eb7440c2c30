/**
 * Positions in the rendered text (what the YAML parser saw) mapped back to the file the user
 * wrote, so that diagnostics point at their line even when `{{ }}` changed its length or a
 * `{% if %}` block removed lines.
 */

interface SourcePosition {
  /** 1-based line in the original file. */
  line: number;
  /** 1-based column in the original file. */
  col: number;
  /** The original line's text. */
  text: string;
}

export type PositionMapper = (renderedLine: number, renderedCol: number) => SourcePosition;

/** Builds a mapper from rendered to source positions; identity when nothing was templated. */
export function createPositionMapper(source: string, rendered: string): PositionMapper {
  const sourceLines = source.split(/\r?\n/);
  const renderedLines = source === rendered ? sourceLines : rendered.split(/\r?\n/);
  // Same number of lines: templating stayed within lines (the usual `{{ key }}`), map 1:1.
  const lineMap =
    sourceLines.length === renderedLines.length ? undefined : alignLines(sourceLines, renderedLines);
  return (renderedLine, renderedCol) => {
    const srcIndex = lineMap ? (lineMap[renderedLine - 1] ?? renderedLine - 1) : renderedLine - 1;
    const srcText = sourceLines[srcIndex] ?? "";
    const renText = renderedLines[renderedLine - 1] ?? "";
    return { line: srcIndex + 1, col: mapColumn(srcText, renText, renderedCol), text: srcText };
  };
}

/**
 * For each rendered line, the index of the source line it came from. Lines are matched in order:
 * identical lines pair up, and a changed line pairs with the next unmatched source line.
 */
function alignLines(source: string[], rendered: string[]): number[] {
  const map: number[] = [];
  let s = 0;
  const LOOKAHEAD = 200;
  for (let r = 0; r < rendered.length; r++) {
    const line = rendered[r];
    let found = -1;
    for (let k = s; k < Math.min(source.length, s + LOOKAHEAD); k++) {
      if (source[k] === line) {
        found = k;
        break;
      }
    }
    if (found >= 0 && (found === s || !looksTemplated(source[s] ?? ""))) {
      map.push(found);
      s = found + 1;
    } else {
      // A line the template changed. A non-empty result did not come from a line holding only
      // a tag ({% if %}, {# #}): skip those, they rendered to nothing.
      if (line?.trim()) while (s < source.length - 1 && isTagOnly(source[s] ?? "")) s++;
      map.push(Math.min(s, source.length - 1));
      s++;
    }
  }
  return map;
}

function looksTemplated(line: string): boolean {
  return /\{[{%#]/.test(line);
}

function isTagOnly(line: string): boolean {
  return /^\s*(\{%[^%]*%\}|\{#.*#\})\s*$/.test(line);
}

function mapColumn(source: string, rendered: string, col: number): number {
  if (source === rendered) return col;
  let prefix = 0;
  while (prefix < source.length && prefix < rendered.length && source[prefix] === rendered[prefix]) prefix++;
  if (col - 1 < prefix) return col;
  let suffix = 0;
  while (
    suffix < source.length - prefix &&
    suffix < rendered.length - prefix &&
    source[source.length - 1 - suffix] === rendered[rendered.length - 1 - suffix]
  ) {
    suffix++;
  }
  const fromEnd = rendered.length - (col - 1);
  if (fromEnd <= suffix) return source.length - fromEnd + 1;
  // Inside text a template produced: point at the expression that produced it.
  return prefix + 1;
}
