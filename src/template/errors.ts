/** Errors with a position in the template source. */
import { UserError } from "../core/errors.js";

/** A problem found while parsing or rendering; `pos` is a UTF-16 offset into the source. */
export class TemplateError extends UserError {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super({ message });
    this.name = "TemplateError";
  }
}

/** 1-based line and column of `pos`; columns count characters (code points), as pest does. */
export function lineCol(source: string, pos: number): { line: number; col: number } {
  const before = source.slice(0, Math.max(0, Math.min(pos, source.length)));
  const lineStart = before.lastIndexOf("\n") + 1;
  let line = 1;
  for (let i = before.indexOf("\n"); i !== -1; i = before.indexOf("\n", i + 1)) line++;
  return { line, col: Array.from(before.slice(lineStart)).length + 1 };
}
