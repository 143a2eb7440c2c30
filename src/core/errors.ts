/**
 * Every error a user can cause is a `Diagnostic`: a message, where it happened and, when one is
 * obvious, what to do about it. They are collected and printed together, never thrown one by one.
 */

import { escapeControlChars } from "../text/escape-control.js";

/** One problem found in user input. */
export interface Diagnostic {
  /** The file the problem is in; absent for problems with flags or the environment. */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** 1-based column in `file`. */
  col?: number;
  /** What is wrong, as one sentence without a trailing period. */
  message: string;
  /** What to do about it, shown on its own line ("did you mean", "use --key"). */
  hint?: string;
  /** The text of the offending line, shown under the message with a caret. */
  sourceLine?: string;
  /** How many characters the caret underline spans (default 1). */
  span?: number;
}

/**
 * Says a bug of mirrord-up on `stderr`: its message and what follows (`then`), its stack only with
 * MIRRORD_UP_DEBUG (a stack is for a bug report, not for the user).
 */
export function writeInternalError(
  error: unknown,
  stderr: { write(text: string): unknown },
  env: NodeJS.ProcessEnv,
  then = "",
): void {
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`mirrord-up: internal error: ${message}${then}\n`);
  if (env.MIRRORD_UP_DEBUG && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  else stderr.write("(set MIRRORD_UP_DEBUG=1 for details, and please report this)\n");
}

/** Exit codes of the command (README, "Exit codes"). */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
} as const;

/**
 * The one base of the errors a user can cause: one or more diagnostics and the exit code. The
 * CLI prints the diagnostics and exits with `exitCode`. Errors that a lower room locates later
 * (`PlanError`, `TemplateError`, `FileReadError`, `KubeError`, ...) are subclasses that carry
 * their own detail too; the CLI catches any of them here.
 */
export class UserError extends Error {
  readonly diagnostics: Diagnostic[];
  readonly exitCode: number;

  constructor(diagnostics: Diagnostic[] | Diagnostic, exitCode: number = ExitCode.usage) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list.map((d) => d.message).join("; "));
    this.name = "UserError";
    this.diagnostics = list;
    this.exitCode = exitCode;
  }
}

/** Styling hooks so that formatting stays pure; the CLI passes picocolors or identity. */
export interface DiagnosticStyle {
  location(text: string): string;
  error(text: string): string;
  hint(text: string): string;
  dim(text: string): string;
}

const plainStyle: DiagnosticStyle = {
  location: (t) => t,
  error: (t) => t,
  hint: (t) => t,
  dim: (t) => t,
};

/**
 * Renders one diagnostic as `file:line:col: error: message`, the source line, a caret and the
 * hint; as a `warning:` for a problem that does not stop the command.
 */
export function formatDiagnostic(
  d: Diagnostic,
  style: DiagnosticStyle = plainStyle,
  severity: "error" | "warning" = "error",
): string {
  let where = "";
  if (d.file !== undefined) {
    where = d.file;
    if (d.line !== undefined) where += `:${d.line}`;
    if (d.line !== undefined && d.col !== undefined) where += `:${d.col}`;
    where = `${style.location(where)}: `;
  }
  // Messages quote what the user wrote (names, values); nothing in them may drive the terminal.
  const out = [`${where}${style.error(`${severity}:`)} ${escapeControlChars(d.message)}`];
  if (d.sourceLine !== undefined && d.line !== undefined) {
    const gutter = String(d.line);
    const pad = " ".repeat(gutter.length);
    // Tabs would misalign the caret; show them as single spaces.
    const shown = truncateForDisplay(d.sourceLine.replace(/\t/g, " "));
    out.push(style.dim(` ${gutter} | `) + shown);
    if (d.col !== undefined) {
      const width = Math.max(1, Math.min(d.span ?? 1, Math.max(1, shown.length - d.col + 1)));
      out.push(
        `${style.dim(` ${pad} | `)}${" ".repeat(Math.max(0, d.col - 1))}${style.error("^".repeat(width))}`,
      );
    }
  }
  if (d.hint) out.push(`  ${style.hint("hint:")} ${escapeControlChars(d.hint)}`);
  return out.join("\n");
}

const MAX_SHOWN_LINE = 200;

function truncateForDisplay(line: string): string {
  // Binary garbage and minified one-liners must not flood the terminal.
  let printable = "";
  for (const ch of line) {
    const code = ch.codePointAt(0) ?? 0;
    printable += (code < 0x20 && code !== 0x09) || code === 0x7f ? "\uFFFD" : ch;
  }
  return printable.length > MAX_SHOWN_LINE ? `${printable.slice(0, MAX_SHOWN_LINE)}…` : printable;
}

/** Sorts diagnostics by file position so that the output reads top to bottom. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
